// Failed-login limiter (docs/security.md "Authentication and sessions"). Every attempt is
// counted BEFORE the password is checked, in counters shared by all nodes (the cluster store),
// under two keys: the (account, client) pair and the client alone. A key that reached its
// limit is locked for `backoffMs`, doubled with each further counted attempt up to
// `maxBackoffMs`; a successful login resets both keys. Keying by the pair means nobody can
// lock an account out for everybody by knowing its e-mail; the client key stops one client
// from spraying guesses across many accounts.
import type { ClusterCounters, CounterState } from '../../domain/ports/cluster-store.js';
import { ServiceUnavailableError } from '../shared/errors.js';

export interface LoginLimiterOptions {
  /** Attempts per (account, client) before the backoff starts. Default 5. */
  max?: number;
  /** Attempts per client across accounts before the backoff starts. Default 20. */
  clientMax?: number;
  /** The first lock; each further counted attempt doubles it. Default 60 s. */
  backoffMs?: number;
  /** Default 15 min. */
  maxBackoffMs?: number;
  now?: () => number;
}

export interface LoginKeys {
  /** e.g. `email:ada@example.com|client:192.0.2.1` */
  pair: string;
  /** e.g. `client:2001:db8:1:2::/64` */
  client: string;
}

interface Limit {
  key: string;
  max: number;
}

export class LoginLimiter {
  readonly max: number;
  readonly clientMax: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  private readonly now: () => number;

  constructor(
    private readonly counters: ClusterCounters,
    options: LoginLimiterOptions = {},
  ) {
    this.max = options.max ?? 5;
    this.clientMax = options.clientMax ?? 20;
    this.backoffMs = options.backoffMs ?? 60_000;
    this.maxBackoffMs = Math.max(options.maxBackoffMs ?? 15 * 60_000, this.backoffMs);
    this.now = options.now ?? Date.now;
  }

  /**
   * Counts an attempt. Resolves 0 when it may go on to the password check, or the
   * milliseconds until the caller may try again. A locked key is not counted (waiting out
   * a lock is enough); of concurrent attempts racing past a limit, only one goes on.
   */
  async attempt(keys: LoginKeys): Promise<number> {
    return this.shared(() => this.count(this.limits(keys)));
  }

  /** A successful login forgets both keys. */
  async succeeded(keys: LoginKeys): Promise<void> {
    await this.shared(() => Promise.all(this.limits(keys).map((limit) => this.counters.reset(limit.key))));
  }

  /** The counters live in the cluster store: when it cannot answer, logins answer 503. */
  private async shared<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof TypeError) throw err;
      throw new ServiceUnavailableError('cluster store', 'The cluster store (login limits) is unavailable; try again later.');
    }
  }

  private async count(limits: Limit[]): Promise<number> {
    const states = await Promise.all(limits.map((limit) => this.counters.get(limit.key)));
    const locked = this.waitMs(limits, states);
    if (locked > 0) return locked;
    const hits = await Promise.all(limits.map((limit) => this.counters.hit(limit.key, this.ttlMs())));
    return this.waitMs(
      limits,
      hits.map((hit) => hit.previous),
    );
  }

  private limits(keys: LoginKeys): Limit[] {
    return [
      { key: `login:${keys.pair}`, max: this.max },
      { key: `login:${keys.client}`, max: this.clientMax },
    ];
  }

  /** A counter forgets after the longest lock, so the backoff outlives every lock it sets. */
  private ttlMs(): number {
    return this.maxBackoffMs + this.backoffMs;
  }

  private waitMs(limits: Limit[], states: Array<CounterState | undefined>): number {
    const now = this.now();
    let wait = 0;
    limits.forEach((limit, i) => {
      const state = states[i];
      if (state === undefined || state.count < limit.max) return;
      const lockMs = Math.min(this.backoffMs * 2 ** Math.min(state.count - limit.max, 30), this.maxBackoffMs);
      wait = Math.max(wait, state.lastAt + lockMs - now);
    });
    return wait;
  }
}
