// Helpers of the rejoin steps that talk to the cluster store: waiting for a connection, and
// collecting the routing views' "I serve generation N" announcements.
import type { ClusterStore, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { DOMAIN_SWITCH_TOPIC, type SwitchAck } from '../routing/cluster-maps.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Resolves once the store is connected; rejects after `timeoutMs`. */
export async function waitConnected(store: Pick<ClusterStore, 'status' | 'onStatus'>, timeoutMs: number): Promise<void> {
  if (store.status() === 'connected') return;
  let off: Unsubscribe | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      off = store.onStatus((status) => {
        if (status === 'connected') resolve();
      });
      timer = setTimeout(() => reject(new Error(`the cluster store (Hazelcast) is not connected after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      if (store.status() === 'connected') resolve();
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    await off?.().catch(() => undefined);
  }
}

/** Every node's highest announced generation, from the moment of `collectAcks` on. */
export interface AckCollector {
  /** Nodes that announced `generation` or a later one. */
  ackedAtLeast(generation: number): string[];
  /**
   * Waits until every live node announced `generation` (or later), or `timeoutMs` passed.
   * `alsoAcked` are acknowledgements learnt elsewhere (the rebuild's own report).
   */
  waitForAll(generation: number, alsoAcked: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<{ acked: string[]; missing: string[] }>;
  close(): Promise<void>;
}

export async function collectAcks(store: Pick<ClusterStore, 'topics' | 'membership'>): Promise<AckCollector> {
  const seen = new Map<string, number>();
  let wake: (() => void) | undefined;
  const unsubscribe = await store.topics.subscribe<SwitchAck>(DOMAIN_SWITCH_TOPIC, (ack) => {
    if (typeof ack !== 'object' || ack === null || typeof ack.node !== 'string' || !Number.isInteger(ack.generation)) return;
    seen.set(ack.node, Math.max(seen.get(ack.node) ?? 0, ack.generation));
    wake?.();
  });

  function ackedAtLeast(generation: number): string[] {
    return [...seen].filter(([, g]) => g >= generation).map(([node]) => node);
  }

  return {
    ackedAtLeast,
    async waitForAll(generation, alsoAcked, timeoutMs, signal) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const acked = new Set([...alsoAcked, ...ackedAtLeast(generation)]);
        // A node that left meanwhile is no longer expected.
        const live = (await store.membership.nodes()).map((n) => n.name);
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
