// The ClusterStore on a real Hazelcast cluster (hazelcast-client 5.7, members 5.6).
import { LifecycleState, type Client, type IMap } from 'hazelcast-client';
import type { Logger } from '../../domain/log.js';
import type { ClusterMap, ClusterStatus, ClusterStore, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { validateName } from '../codec.js';
import { connectClient } from './connect.js';
import { COUNTERS_MAP, HazelcastCounters } from './counters.js';
import { HazelcastLeases, LEASES_MAP } from './leases.js';
import { HazelcastClusterMap } from './map.js';
import { HazelcastMembership, NODES_MAP } from './membership.js';
import { HazelcastTopics } from './topics.js';

export { HAZELCAST_JAR, startHazelcastMember, type HazelcastMemberOptions, type HazelcastMemberProcess } from './member.js';
export { validateMembers } from './connect.js';

export interface HazelcastStoreOptions {
  /** `host:port` of the members (HZ_MEMBERS). */
  members: string[];
  clusterName: string;
  log: Logger;
  heartbeatIntervalMs: number;
  nodeDownAfterMs: number;
  /** How long one operation may take, retries included (default 5 s). */
  invocationTimeoutMs?: number;
  /** How long the first connect may take before giving up (default 10 s). */
  connectTimeoutMs?: number;
}

function validateTiming(opts: HazelcastStoreOptions): void {
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new Error(`cluster store: ${name} must be a positive whole number of milliseconds`);
    }
  };
  positive('heartbeatIntervalMs', opts.heartbeatIntervalMs);
  positive('nodeDownAfterMs', opts.nodeDownAfterMs);
  positive('invocationTimeoutMs', opts.invocationTimeoutMs);
  positive('connectTimeoutMs', opts.connectTimeoutMs);
  // The member's TTL expiry has a granularity of one second (an entry may go up to 1 s early).
  if (opts.heartbeatIntervalMs + 1000 > opts.nodeDownAfterMs) {
    throw new Error('NODE_DOWN_AFTER_MS must be at least HEARTBEAT_INTERVAL_MS + 1000 with Hazelcast (its expiry has 1 s granularity)');
  }
}

class HazelcastStore implements ClusterStore {
  readonly kind = 'hazelcast' as const;
  readonly topics: HazelcastTopics;
  readonly membership: HazelcastMembership;
  readonly leases: HazelcastLeases;
  readonly counters: HazelcastCounters;
  private readonly maps = new Map<string, HazelcastClusterMap<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
    private readonly state: StatusTracker,
    opts: HazelcastStoreOptions,
  ) {
    const rawMap = (name: string) => (): Promise<IMap<string, string>> => client.getMap<string, string>(name);
    this.topics = new HazelcastTopics(client, log);
    this.membership = new HazelcastMembership(rawMap(NODES_MAP), {
      heartbeatIntervalMs: opts.heartbeatIntervalMs,
      nodeDownAfterMs: opts.nodeDownAfterMs,
      log,
    });
    this.leases = new HazelcastLeases(rawMap(LEASES_MAP));
    this.counters = new HazelcastCounters(rawMap(COUNTERS_MAP));
    state.onReconnected = () => {
      this.membership.onReconnected();
      this.topics.onReconnected();
    };
  }

  map<V>(name: string): ClusterMap<V> {
    validateName('cluster map name', name);
    let map = this.maps.get(name);
    if (!map) {
      map = new HazelcastClusterMap<unknown>(name, (n) => this.client.getMap<string, string>(n), this.log);
      this.maps.set(name, map);
    }
    return map as ClusterMap<V>;
  }

  status(): ClusterStatus {
    return this.state.status;
  }

  onStatus(listener: (status: ClusterStatus) => void): Unsubscribe {
    return this.state.listen(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.membership.close();
      this.topics.close();
      await this.client.shutdown();
      this.state.set('disconnected');
    })();
    return this.closing;
  }
}

/** Lifecycle events of the client as our three states, with listeners. */
class StatusTracker {
  status: ClusterStatus = 'connecting';
  onReconnected: () => void = () => {};
  private readonly listeners = new Set<(status: ClusterStatus) => void>();
  private wasDisconnected = false;
  private shuttingDown = false;

  constructor(private readonly log: Logger) {}

  onLifecycle(state: LifecycleState): void {
    if (state === LifecycleState.CONNECTED) {
      this.set('connected');
      if (this.wasDisconnected) {
        this.wasDisconnected = false;
        this.log.info('cluster store reconnected');
        this.onReconnected();
      }
    } else if (state === LifecycleState.DISCONNECTED) {
      this.wasDisconnected = true;
      // Our own close() disconnects too: that is not worth a warning.
      if (!this.shuttingDown) this.log.warn('cluster store disconnected from Hazelcast; reconnecting');
      this.set('disconnected');
    } else if (state === LifecycleState.SHUTTING_DOWN || state === LifecycleState.SHUTDOWN) {
      this.shuttingDown = true;
      this.set('disconnected');
    }
  }

  set(status: ClusterStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (err) {
        this.log.error({ err }, 'cluster status listener failed');
      }
    }
  }

  listen(listener: (status: ClusterStatus) => void): Unsubscribe {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }
}

/**
 * Connects to the Hazelcast cluster. Rejects with a clear message (naming HZ_MEMBERS or
 * HZ_CLUSTER_NAME) when the first connect fails; afterwards the client reconnects by itself.
 */
export async function createHazelcastStore(opts: HazelcastStoreOptions): Promise<ClusterStore> {
  validateTiming(opts);
  if (typeof opts.clusterName !== 'string' || opts.clusterName.trim() === '') {
    throw new Error('HZ_CLUSTER_NAME: the Hazelcast cluster name must not be empty');
  }
  const log = opts.log.child({ component: 'cluster' });
  const state = new StatusTracker(log);
  const client = await connectClient({
    members: opts.members,
    clusterName: opts.clusterName,
    log,
    invocationTimeoutMs: opts.invocationTimeoutMs ?? 5000,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    onLifecycle: (s) => state.onLifecycle(s),
    quiet: () => state.status !== 'connected',
  });
  state.set('connected');
  return new HazelcastStore(client, log, state, opts);
}
