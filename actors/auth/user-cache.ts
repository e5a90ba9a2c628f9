// Users cached briefly on each node (docs/security.md "Authentication and sessions"): every
// authenticated request needs the user behind its token, and asking MongoDB each time would
// make the whole admin API fail with MongoDB, even reads served from the cluster store.
//
// An entry is fresh for `freshMs`; past that it is loaded again. Every change of a user (on
// any node) reaches every node's cache through the cluster store (UserChangeFeed) and drops
// the entry at once. While MongoDB cannot answer, an entry up to `staleMs` old still serves
// (no user can change meanwhile: changes are MongoDB writes), and the reload is not tried
// again before `freshMs` has passed, so an outage does not slow every request down.
import type { TokenSubject } from './messages.js';

/** How the nodes tell each other that a user changed (a cluster store topic in bin/). */
export interface UserChangeFeed {
  publish(id: string): Promise<void>;
  subscribe(listener: (id: string) => void): Promise<() => Promise<void>>;
}

export interface UserCacheOptions {
  /** Default 5 s. */
  freshMs?: number;
  /** How old an entry may serve while the store is down. Default 15 min. */
  staleMs?: number;
  /** Memory bound; the oldest entries go first. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  subject: TokenSubject;
  loadedAt: number;
  /** No reload before this (set after a failed reload). */
  retryAt: number;
}

function isUnavailable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'UNAVAILABLE';
}

export class UserCache {
  private readonly entries = new Map<string, Entry>();
  private readonly freshMs: number;
  private readonly staleMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Bumped by every invalidation: a load that overlapped one does not store its (maybe older) answer. */
  private epoch = 0;

  constructor(options: UserCacheOptions = {}) {
    this.freshMs = options.freshMs ?? 5000;
    this.staleMs = options.staleMs ?? 15 * 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The user `id` (null when there is none), from the cache or from `load`. */
  async get(id: string, load: () => Promise<TokenSubject | null>): Promise<TokenSubject | null> {
    const now = this.now();
    const entry = this.entries.get(id);
    if (entry !== undefined && (now - entry.loadedAt < this.freshMs || now < entry.retryAt)) return entry.subject;
    const epoch = this.epoch;
    let subject: TokenSubject | null;
    try {
      subject = await load();
    } catch (err) {
      if (!isUnavailable(err) || entry === undefined || this.now() - entry.loadedAt > this.staleMs) throw err;
      if (this.entries.get(id) === entry) entry.retryAt = this.now() + this.freshMs;
      return entry.subject;
    }
    if (subject === null) this.entries.delete(id);
    else if (epoch === this.epoch) this.store(id, { subject, loadedAt: this.now(), retryAt: 0 });
    return subject;
  }

  invalidate(id: string): void {
    this.epoch += 1;
    this.entries.delete(id);
  }

  private store(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
