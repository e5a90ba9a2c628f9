// Runs async jobs over a list with at most `limit` of them in flight at once.

export async function mapBounded<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number >= 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await job(items[index]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Runs `job` over `items` with at most `limit` in flight at once. */
export async function forEachBounded<T>(items: readonly T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  await mapBounded(items, limit, job);
}

/**
 * Jobs started one at a time as their input arrives, at most `limit` in flight at once: `start`
 * waits for a free lane. The first failure is thrown by the next `start` and by `drain`.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number >= 1, got ${limit}`);
  }

  async start(job: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.rethrow();
    const lane: Promise<void> = job()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(lane));
    this.running.add(lane);
  }

  /** Waits for every job started; throws the first failure. */
  async drain(): Promise<void> {
    await this.idle();
    this.rethrow();
  }

  /** Waits for every job started, failed or not (before cleaning up after a failure). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
