// Message ids: the room sequence number, zero-padded so string order equals numeric order.
import { MESSAGE_ID_DIGITS, paddedSeq } from '../../domain/chat.js';
import type { ChatMessageView, StoredChatMessage } from './types.js';

const MAX_SEQ = 10 ** MESSAGE_ID_DIGITS - 1;
const ID_PATTERN = new RegExp(`^\\d{${MESSAGE_ID_DIGITS}}$`);

export function formatMessageId(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`invalid message sequence ${seq}`);
  return paddedSeq(seq);
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
