// Retrying with exponential backoff (with jitter, capped), for failures worth another try.
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** Tries in all (1 = no retry). */
  attempts: number;
  baseMs: number;
  maxMs: number;
  signal?: AbortSignal;
}

/** The wait before try number `attempt + 1` (attempt counts from 1): base·2^(attempt−1), ±25 %, capped. */
export function backoffMs(attempt: number, options: Pick<BackoffOptions, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
  return Math.round(exponential * (0.75 + random() * 0.5));
}

/** Runs `work` until it succeeds, a non-retryable error comes, or the attempts are used up. */
export async function withBackoff<T>(
  work: (attempt: number) => Promise<T>,
  retryable: (err: unknown) => boolean,
  options: BackoffOptions,
  onRetry: (err: unknown, attempt: number, waitMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (err) {
      if (attempt >= options.attempts || !retryable(err) || options.signal?.aborted) throw err;
      const waitMs = backoffMs(attempt, options);
      onRetry(err, attempt, waitMs);
      await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
