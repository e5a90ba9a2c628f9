// Local hit counters: one table per LocalCluster (./expiring-table.ts), so every handle
// (node) shares them.
import type { ClusterCounters, CounterState } from '../../domain/ports/cluster-store.js';
import { validateCounter } from '../codec.js';
import type { HandleContext } from './dispatch.js';
import { ExpiringTable } from './expiring-table.js';

interface Counter extends CounterState {
  expiresAtMs: number;
}

/** The counters of one LocalCluster. */
export class LocalCounterTable extends ExpiringTable<Counter> {}

const copy = (state: CounterState): CounterState => ({ count: state.count, lastAt: state.lastAt });

export class LocalCounters implements ClusterCounters {
  constructor(
    private readonly table: LocalCounterTable,
    private readonly handle: HandleContext,
  ) {}

  async hit(key: string, ttlMs: number): Promise<{ current: CounterState; previous?: CounterState }> {
    this.handle.checkOpen();
    validateCounter(key, ttlMs);
    const now = Date.now();
    const previous = this.table.live(key, now);
    const current: Counter = { count: (previous?.count ?? 0) + 1, lastAt: now, expiresAtMs: now + ttlMs };
    this.table.set(key, current);
    return previous ? { current: copy(current), previous: copy(previous) } : { current: copy(current) };
  }

  async get(key: string): Promise<CounterState | undefined> {
    this.handle.checkOpen();
    validateCounter(key);
    const counter = this.table.live(key, Date.now());
    return counter ? copy(counter) : undefined;
  }

  async reset(key: string): Promise<void> {
    this.handle.checkOpen();
    validateCounter(key);
    this.table.delete(key);
  }
}
