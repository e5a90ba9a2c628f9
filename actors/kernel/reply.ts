// Helpers around ReplyTo: recognise one in a message and fail it when the message is lost.
import { nextCorrelationId } from './ask.js';
import type { ReplyTo } from './types.js';

/** True when `value` has the ReplyTo shape (correlation id plus reply/fail callbacks). */
export function isReplyTo(value: unknown): value is ReplyTo<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ReplyTo<unknown>>;
  return typeof candidate.correlationId === 'number' && typeof candidate.reply === 'function' && typeof candidate.fail === 'function';
}

/** The ReplyTo in a message's `replyTo` field, if it carries one. */
export function replyToOf(message: unknown): ReplyTo<unknown> | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const field = (message as { replyTo?: unknown }).replyTo;
  return isReplyTo(field) ? field : undefined;
}

/** Fails the message's ReplyTo (if any) so its asker does not wait for the timeout. */
export function failReplyOf(message: unknown, error: Error): void {
  const replyTo = replyToOf(message);
  if (replyTo === undefined) return;
  try {
    replyTo.fail(error);
  } catch {
    // A ReplyTo built by hand may throw; the asker's problem, not the actor's.
  }
}

/** A ReplyTo whose answer nobody waits for: to send an ask-shaped message as a plain tell. */
export function noReply<R>(): ReplyTo<R> {
  return { correlationId: nextCorrelationId(), reply: () => undefined, fail: () => undefined };
}
