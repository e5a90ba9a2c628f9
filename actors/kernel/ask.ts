// Request/reply with our own correlation: each ask builds a ReplyTo closure (so a reply can only
// ever reach its own asker) with a monotonic id for logs, and a mandatory timeout.
import { AskTimeoutError, toError } from './errors.js';
import type { ActorRef, ReplyTo } from './types.js';

let lastCorrelationId = 0;

/** The next correlation id: monotonic per process, never random. */
export function nextCorrelationId(): number {
  lastCorrelationId += 1;
  return lastCorrelationId;
}

class PendingAsk<R> implements ReplyTo<R> {
  readonly correlationId = nextCorrelationId();
  private settled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resolve: (result: R) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  armTimeout(path: string, timeoutMs: number): void {
    if (this.settled) return;
    this.timer = setTimeout(() => this.fail(new AskTimeoutError(path, timeoutMs)), timeoutMs);
  }

  reply(result: R): void {
    if (this.settle()) this.resolve(result);
  }

  fail(error: Error): void {
    if (this.settle()) this.reject(error);
  }

  /** True the first time only: later replies (after a timeout, or a second reply) are dropped. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    return true;
  }
}

/**
 * The reply types the messages of `M` ask for (via their `replyTo` field), so
 * `ask(counter, (replyTo) => ({ type: 'get', replyTo }), ms)` is typed without `<M, R>`.
 * For a protocol with several reply types it is their union: pass `R` explicitly then.
 */
export type ReplyOf<M> = M extends unknown
  ? 'replyTo' extends keyof M
    ? NonNullable<M['replyTo' & keyof M]> extends ReplyTo<infer R>
      ? R
      : never
    : never
  : never;

/**
 * Sends `build(replyTo)` to `ref` and waits for `replyTo.reply` (resolves) or `replyTo.fail`
 * (rejects). Rejects with AskTimeoutError after `timeoutMs`; replies after that are ignored.
 *
 * `const M` with `NoInfer<M>`: M comes from the ref alone and the message literal keeps its
 * literal types (`type: 'get'`), which TypeScript otherwise widens to string in a generic
 * callback's return. With inline array literals in the message, pass `<M, R>` explicitly.
 */
export function ask<const M, R = ReplyOf<M>>(ref: ActorRef<M>, build: (replyTo: ReplyTo<R>) => NoInfer<M>, timeoutMs: number): Promise<R> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return Promise.reject(new RangeError(`ask to ${ref.path}: timeoutMs must be a number > 0, got ${String(timeoutMs)}`));
  }
  return new Promise<R>((resolve, reject) => {
    const pending = new PendingAsk<R>(resolve, reject);
    let message: M;
    try {
      message = build(pending);
    } catch (error) {
      pending.fail(toError(error));
      return;
    }
    pending.armTimeout(ref.path, timeoutMs);
    ref.tell(message);
  });
}
