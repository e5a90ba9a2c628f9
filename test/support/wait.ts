// Waiting in tests: a plain sleep, and polling until a probe has an answer.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** Pause between probes (default 200 ms). */
  everyMs?: number;
  /** Default true: a probe that throws counts as "not yet". False: its error ends the wait at once. */
  retryErrors?: boolean;
}

/**
 * Polls `probe` until it returns something other than undefined or false, and resolves with
 * it; fails naming `what` (and the probe's last error) after timeoutMs.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (opts.retryErrors === false) throw err;
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    await sleep(opts.everyMs ?? 200);
  }
}
