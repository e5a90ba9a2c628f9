// Message ids: the room sequence number, zero-padded so string order equals numeric order.
import type { ChatMessageView, StoredChatMessage } from './types.js';

export const MESSAGE_ID_DIGITS = 12;
const MAX_SEQ = 10 ** MESSAGE_ID_DIGITS - 1;
const ID_PATTERN = /^\d{12}$/;

export function formatMessageId(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`invalid message sequence ${seq}`);
  return String(seq).padStart(MESSAGE_ID_DIGITS, '0');
}

/** The sequence number of a well-formed id, or undefined. */
export function parseMessageId(id: unknown): number | undefined {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
  const seq = Number(id);
  return seq >= 1 ? seq : undefined;
}

export function toView(message: StoredChatMessage): ChatMessageView {
  return { id: formatMessageId(message.seq), user: message.user, body: message.body, at: message.at };
}
