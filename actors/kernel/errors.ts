// Errors the kernel produces. Each names the actor path so a log line points at the actor.

/** An `ask` got no reply within its timeout. */
export class AskTimeoutError extends Error {
  override readonly name = 'AskTimeoutError';
  constructor(
    readonly actorPath: string,
    readonly timeoutMs: number,
  ) {
    super(`ask to ${actorPath} timed out after ${timeoutMs} ms`);
  }
}

/** The actor is not running (stopped, or gave up and not yet restarted by its parent). */
export class ActorStoppedError extends Error {
  override readonly name = 'ActorStoppedError';
  constructor(readonly actorPath: string) {
    super(`actor ${actorPath} is not running`);
  }
}

/** A child crashed more often than its restart policy allows; its parent crashes with this. */
export class EscalationError extends Error {
  override readonly name = 'EscalationError';
  constructor(
    readonly childPath: string,
    override readonly cause: Error,
  ) {
    super(`child ${childPath} exceeded its restart limit: ${cause.message}`, { cause });
  }
}

/** A thrown value as an Error (handlers may throw strings or other values). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${String(thrown)}`);
}
