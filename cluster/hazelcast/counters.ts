// Hit counters on the IMap `cluster.counters`: one entry per key holding `{count, lastAt}`,
// with a TTL so an idle counter disappears on the member by itself. A hit is a
// compare-and-set loop (putIfAbsent for a new counter, replaceIfSame for the next count),
// so concurrent hits from any nodes each see their own count. replaceIfSame may reset the
// entry's TTL, so every hit sets it again afterwards; the member keeps expiry in whole
// seconds, so the TTL asked of it is one second longer (a counter never ends early).
import type { IMap } from 'hazelcast-client';
import type { ClusterCounters, CounterState } from '../../domain/ports/cluster-store.js';
import { decodeCounter, encodeCounter, validateCounter } from '../codec.js';

export const COUNTERS_MAP = 'cluster.counters';
const EXPIRY_GRANULARITY_MS = 1000;
// Each attempt loses only to a concurrent hit on the same key; more than this means a storm.
const MAX_CAS_ATTEMPTS = 64;

type RawMap = IMap<string, string>;

export class HazelcastCounters implements ClusterCounters {
  constructor(private readonly open: () => Promise<RawMap>) {}

  async hit(key: string, ttlMs: number): Promise<{ current: CounterState; previous?: CounterState }> {
    validateCounter(key, ttlMs);
    const map = await this.open();
    const memberTtl = ttlMs + EXPIRY_GRANULARITY_MS;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = await map.get(key);
      const now = Date.now();
      if (raw === null || raw === undefined) {
        const current = { count: 1, lastAt: now };
        const taken = await map.putIfAbsent(key, encodeCounter(current), memberTtl);
        if (taken === null || taken === undefined) return { current };
        continue;
      }
      const previous = decodeCounter(raw);
      const current = { count: (previous?.count ?? 0) + 1, lastAt: now };
      if (await map.replaceIfSame(key, raw, encodeCounter(current))) {
        await map.setTtl(key, memberTtl);
        return previous ? { current, previous } : { current };
      }
    }
    throw new Error(`cluster counters: could not count "${key}" (too many concurrent hits)`);
  }

  async get(key: string): Promise<CounterState | undefined> {
    validateCounter(key);
    const raw = await (await this.open()).get(key);
    return raw === null || raw === undefined ? undefined : decodeCounter(raw);
  }

  async reset(key: string): Promise<void> {
    validateCounter(key);
    await (await this.open()).delete(key);
  }
}
