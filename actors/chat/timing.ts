// Timings and queue bounds of the chat actors. Defaults suit production; tests shorten them.

export interface ChatTiming {
  /** How long a missing sequence may be waited for before asking the store. */
  gapWaitMs: number;
  /** Between store look-ups while a gap stays open. */
  gapRetryMs: number;
  /**
   * After this long, a sequence still missing from the store is given up. The store appends
   * densely (seq N exists only once N-1 does), so this is a safety net for data removed by
   * hand, not a normal path. Must exceed `storeTimeoutMs`: a push that is not stored by then
   * is never published, so a skipped sequence cannot turn up later on the topic.
   */
  gapAbandonMs: number;
  /** Storing one push; past it the push fails and is not published. */
  storeTimeoutMs: number;
  /** A room without members on this node unsubscribes from its topic after this long. */
  idleAfterMs: number;
  /**
   * Between sweeps of the presence map for entries of nodes that are not members of the
   * cluster (they died while no node watched, e.g. during a full restart). A node must be
   * missing in two sweeps in a row before its entries go.
   */
  presenceSweepMs: number;
  /** A room owner's lease (docs/decisions.md, "Chat: one sequencer per room"); renewed every third of it. */
  leaseTtlMs: number;
  /** The origin of a push answers within this: past it, `timeout` (outcome unknown, retry with the same push id). */
  pushTimeoutMs: number;
  /** A forwarded push without an answer is sent again (to the owner of the moment) after this. */
  resendMs: number;
  /**
   * Presence diffs of a room are sent to its members at most once per this period, merged
   * (Phoenix's tracker batches them the same way): a join storm of N members costs N
   * frames per member window, not N² frames.
   */
  presenceFlushMs: number;
  /** Pushes waiting per room (at the origin and at the owner); past it `overloaded` at once. */
  maxRoomQueue: number;
  /** Pushes waiting per node (at the origin and at the owner); past it `overloaded` at once. */
  maxNodeQueue: number;
  /**
   * A room whose oldest unanswered push (at its origin) has waited longer than this refuses new
   * pushes `overloaded` at once (docs/decisions.md, "Chat: admission by queued age"): above
   * capacity the latency of what is accepted stays bounded instead of growing with the backlog.
   */
  maxQueueAgeMs: number;
  /**
   * The age rule applies only while at least this many pushes wait on the node: a slow answer
   * to a few pushes (a slow store, a busy machine) is no backlog to refuse for.
   */
  queueAgeMinWaiting: number;
}

export const DEFAULT_CHAT_TIMING: ChatTiming = {
  gapWaitMs: 150,
  gapRetryMs: 300,
  gapAbandonMs: 5_000,
  storeTimeoutMs: 2_000,
  idleAfterMs: 30_000,
  presenceSweepMs: 30_000,
  leaseTtlMs: 4_000,
  pushTimeoutMs: 7_000,
  resendMs: 1_000,
  presenceFlushMs: 50,
  maxRoomQueue: 200,
  maxNodeQueue: 2_000,
  maxQueueAgeMs: 150,
  queueAgeMinWaiting: 20,
};

export function resolveTiming(overrides: Partial<ChatTiming> = {}): ChatTiming {
  const timing = { ...DEFAULT_CHAT_TIMING, ...overrides };
  if (timing.gapAbandonMs <= timing.storeTimeoutMs) {
    throw new RangeError(`gapAbandonMs (${timing.gapAbandonMs}) must exceed storeTimeoutMs (${timing.storeTimeoutMs})`);
  }
  if (timing.pushTimeoutMs <= timing.storeTimeoutMs) {
    throw new RangeError(`pushTimeoutMs (${timing.pushTimeoutMs}) must exceed storeTimeoutMs (${timing.storeTimeoutMs})`);
  }
  return timing;
}

/** Rejects with `onTimeout()` if `work` does not settle within `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
