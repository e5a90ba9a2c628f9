// The cluster store: the one interface every node uses to share state with the others.
// Two implementations: `cluster/local` (in-process, for unit tests and single-node runs)
// and `cluster/hazelcast` (a real Hazelcast cluster). One contract suite tests both.
// It lives in domain/ so actors can depend on the shape without importing cluster/.

export type Unsubscribe = () => Promise<void>;

/** A value stored with the version of the record it came from. */
export interface VersionedValue<V> {
  version: number;
  value: V;
}

export type MapChange<V> = { type: 'set'; key: string; version: number; value: V } | { type: 'delete'; key: string };

/**
 * A replicated map of versioned values (the replacement for a Mnesia table).
 * `set` is ignored (returns false) when the stored version is >= the given one, so
 * writers racing with stale data never overwrite newer data.
 */
export interface ClusterMap<V> {
  readonly name: string;
  get(key: string): Promise<VersionedValue<V> | undefined>;
  set(key: string, value: V, version: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  entries(): Promise<Array<[string, VersionedValue<V>]>>;
  /** Replace the whole content at once (used when a generation is rebuilt). */
  setAll(entries: Array<[string, VersionedValue<V>]>): Promise<void>;
  clear(): Promise<void>;
  /** Every change made on any node, including this one. */
  onChange(listener: (change: MapChange<V>) => void): Promise<Unsubscribe>;
  /** Forget this map's content cluster-wide (drop an old generation). */
  destroy(): Promise<void>;
}

/** Ordered publish/subscribe: subscribers see one topic's messages in publish order. */
export interface ClusterTopics {
  publish<M>(topic: string, message: M): Promise<void>;
  subscribe<M>(topic: string, listener: (message: M) => void): Promise<Unsubscribe>;
  /**
   * Frees what the cluster keeps for the topic (its buffered messages) when nobody needs it
   * any more, e.g. an idle chat room. Subscriptions anywhere stay valid: messages published
   * afterwards still reach them.
   */
  destroy(topic: string): Promise<void>;
}

export interface NodeInfo {
  name: string;
  host: string;
  port: number;
  apiPort: number;
  startedAt: string;
  /** Free-form facts a node publishes about itself (e.g. video zone). */
  meta?: Record<string, string>;
}

export interface LiveNode extends NodeInfo {
  lastHeartbeatAt: string;
}

export type MembershipEvent = { type: 'up'; node: LiveNode } | { type: 'down'; name: string };

/**
 * Nodes register with a heartbeat; a node whose heartbeat stops is declared down after
 * `downAfterMs` (the implementation's TTL), and a `down` event reaches every subscriber.
 */
export interface ClusterMembership {
  join(node: NodeInfo): Promise<void>;
  leave(): Promise<void>;
  nodes(): Promise<LiveNode[]>;
  onChange(listener: (event: MembershipEvent) => void): Promise<Unsubscribe>;
}

export interface LeaseInfo {
  name: string;
  holder: string;
  expiresAt: string;
}

/** Leases with expiry: at most one holder at a time while the store is healthy. */
export interface ClusterLeases {
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  holder(name: string): Promise<LeaseInfo | undefined>;
  all(): Promise<LeaseInfo[]>;
}

/** A counter's state: how many hits, and when the last one was (epoch ms). */
export interface CounterState {
  count: number;
  lastAt: number;
}

/**
 * Expiring hit counters shared by every node (the login limiter's failure counts, see
 * docs/security.md). `hit` is atomic: N concurrent hits on one key, from any nodes, see N
 * different counts.
 */
export interface ClusterCounters {
  /** Adds one to `key` (a missing or expired counter starts at 1); it expires `ttlMs` after this hit. */
  hit(key: string, ttlMs: number): Promise<{ current: CounterState; previous?: CounterState }>;
  get(key: string): Promise<CounterState | undefined>;
  reset(key: string): Promise<void>;
}

export type ClusterStatus = 'connected' | 'connecting' | 'disconnected';

export interface ClusterStore {
  readonly kind: 'local' | 'hazelcast';
  map<V>(name: string): ClusterMap<V>;
  readonly topics: ClusterTopics;
  readonly membership: ClusterMembership;
  readonly leases: ClusterLeases;
  readonly counters: ClusterCounters;
  status(): ClusterStatus;
  onStatus(listener: (status: ClusterStatus) => void): Unsubscribe;
  close(): Promise<void>;
}
