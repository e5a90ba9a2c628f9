// Failed-login limiter: after `max` failures within `windowMs` for a key (an IP, an email),
// further attempts are refused until the window ends; a successful login clears the keys.
// In memory, per node: with N nodes behind a balancer an attacker gets at most N × max tries.

export interface LoginLimiterOptions {
  /** Failures allowed per key within the window. Default 5. */
  max?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Memory bound; the oldest windows are dropped past it. Default 10 000. */
  maxKeys?: number;
  now?: () => number;
}

interface Window {
  failures: number;
  resetAt: number;
}

export class LoginLimiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: LoginLimiterOptions = {}) {
    this.max = options.max ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until any of `keys` may try again; 0 when all may try now. */
  retryAfterMs(keys: string[]): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const window = this.windows.get(key);
      if (window === undefined) continue;
      if (window.resetAt <= now) {
        this.windows.delete(key);
        continue;
      }
      if (window.failures >= this.max) wait = Math.max(wait, window.resetAt - now);
    }
    return wait;
  }

  recordFailure(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const window = this.windows.get(key);
      if (window === undefined || window.resetAt <= now) {
        this.windows.delete(key);
        this.windows.set(key, { failures: 1, resetAt: now + this.windowMs });
      } else {
        window.failures += 1;
      }
    }
    this.evict(now);
  }

  clear(keys: string[]): void {
    for (const key of keys) this.windows.delete(key);
  }

  private evict(now: number): void {
    if (this.windows.size <= this.maxKeys) return;
    for (const [key, window] of this.windows) {
      if (window.resetAt <= now) this.windows.delete(key);
    }
    // Still too many: drop the oldest windows (Map keeps insertion order).
    for (const key of this.windows.keys()) {
      if (this.windows.size <= this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
