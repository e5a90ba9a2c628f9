// Chat message shapes shared by the room actors (actors/chat) and the MongoDB store
// (persistence/chat-messages.ts).

/** A message as stored and as carried on the room's cluster topic. */
export interface StoredChatMessage {
  room: string;
  /** Per-room sequence number from the store: defines the room's order on every node. */
  seq: number;
  user: string;
  body: string;
  /** ISO 8601 time the server accepted it. */
  at: string;
  /**
   * The push that made it (`<user>/<client push id>` or a node-made id): lets a new room
   * owner recognise a retried push it already stored (docs/chat.md, "Push ids").
   */
  pushId?: string;
}

/** A message before it has its place in the room. */
export type ChatMessageDraft = Omit<StoredChatMessage, 'seq'>;

/** Digits of a message id: the room sequence number zero-padded, so string order is sequence order. */
export const MESSAGE_ID_DIGITS = 12;

/** `seq` zero-padded to MESSAGE_ID_DIGITS (the message id, and the stored key within a room). */
export function paddedSeq(seq: number): string {
  return String(seq).padStart(MESSAGE_ID_DIGITS, '0');
}
