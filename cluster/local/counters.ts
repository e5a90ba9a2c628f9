// Local hit counters: one table per LocalCluster, so every handle (node) shares them; an
// expired counter is as good as absent.
import type { ClusterCounters, CounterState } from '../../domain/ports/cluster-store.js';
import { validateCounter } from '../codec.js';
import type { HandleContext } from './dispatch.js';

interface Counter extends CounterState {
  expiresAtMs: number;
}

export class LocalCounterTable {
  private readonly counters = new Map<string, Counter>();

  live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.expiresAtMs <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  set(key: string, counter: Counter): void {
    this.counters.set(key, counter);
  }

  delete(key: string): void {
    this.counters.delete(key);
  }
}

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
