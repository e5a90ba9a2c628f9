// The routing views' "I serve generation N" announcements on DOMAIN_SWITCH_TOPIC, collected
// by whoever switched the generation: the domain-model actor and the cluster rejoin.
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { DOMAIN_SWITCH_TOPIC, type SwitchAck, type ViewLoadTimings } from './cluster-maps.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export interface AckWaitOptions {
  signal?: AbortSignal;
  /** Who is expected when membership lists no node (a node not joined yet expects itself). */
  whenNoneLive?: readonly string[];
  /** Count a failed membership read as "no node" instead of failing the wait. */
  tolerateMembershipErrors?: boolean;
}

/** Every node's highest announced generation, from the moment of `collectAcks` on. */
export interface AckCollector {
  /** Nodes that announced `generation` or a later one. */
  ackedAtLeast(generation: number): string[];
  /** Per node, how long it took to load `generation` (nodes that announced it with timings). */
  timingsOf(generation: number): Record<string, ViewLoadTimings>;
  /**
   * Waits until every live node announced `generation` (or later), or `timeoutMs` passed.
   * `alsoAcked` are acknowledgements learnt elsewhere (the rebuild's own report).
   */
  waitForAll(
    generation: number,
    alsoAcked: readonly string[],
    timeoutMs: number,
    options?: AckWaitOptions,
  ): Promise<{ acked: string[]; missing: string[] }>;
  close(): Promise<void>;
}

function isTimings(value: unknown): value is ViewLoadTimings {
  const t = value as Partial<ViewLoadTimings> | undefined;
  return typeof t === 'object' && t !== null && typeof t.readMs === 'number' && typeof t.buildMs === 'number';
}

export async function collectAcks(store: Pick<ClusterStore, 'topics' | 'membership'>): Promise<AckCollector> {
  const seen = new Map<string, number>();
  const timings = new Map<string, { generation: number; timings: ViewLoadTimings }>();
  let wake: (() => void) | undefined;
  const unsubscribe = await store.topics.subscribe<SwitchAck>(DOMAIN_SWITCH_TOPIC, (ack) => {
    if (typeof ack !== 'object' || ack === null || typeof ack.node !== 'string' || !Number.isInteger(ack.generation)) return;
    seen.set(ack.node, Math.max(seen.get(ack.node) ?? 0, ack.generation));
    if (isTimings(ack.timings)) timings.set(ack.node, { generation: ack.generation, timings: ack.timings });
    wake?.();
  });

  function ackedAtLeast(generation: number): string[] {
    return [...seen].filter(([, g]) => g >= generation).map(([node]) => node);
  }

  return {
    ackedAtLeast,
    timingsOf(generation) {
      return Object.fromEntries([...timings].filter(([, t]) => t.generation === generation).map(([node, t]) => [node, t.timings]));
    },
    async waitForAll(generation, alsoAcked, timeoutMs, options = {}) {
      const { signal, whenNoneLive = [], tolerateMembershipErrors = false } = options;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const acked = new Set([...alsoAcked, ...ackedAtLeast(generation)]);
        // A node that left meanwhile is no longer expected.
        const nodes = tolerateMembershipErrors ? await store.membership.nodes().catch(() => []) : await store.membership.nodes();
        const live = nodes.length > 0 ? nodes.map((n) => n.name) : [...whenNoneLive];
        const missing = live.filter((name) => !acked.has(name)).sort();
        if (missing.length === 0 || Date.now() >= deadline || signal?.aborted) return { acked: [...acked].sort(), missing };
        await Promise.race([
          new Promise<void>((resolve) => {
            wake = resolve;
          }),
          sleep(Math.min(250, Math.max(1, deadline - Date.now()))),
        ]);
        wake = undefined;
      }
    },
    close: () => unsubscribe().catch(() => undefined),
  };
}
