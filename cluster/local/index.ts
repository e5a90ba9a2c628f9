// The in-process ClusterStore, for unit tests and single-node runs. A LocalCluster plays the
// part of the Hazelcast cluster; each `store()` handle plays one node connected to it, so
// several nodes in one test process share maps, topics, membership, leases and counters:
//
//   const hub = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 300 });
//   const a = hub.store(), b = hub.store();
//
// Like the real thing, values are copied (JSON) on the way in and out, and listeners run
// asynchronously, in order. `close()` on a handle is that node vanishing: its heartbeat
// stops and a 'down' event follows after nodeDownAfterMs (call membership.leave() first
// for a graceful exit).
import type { Logger } from '../../domain/log.js';
import { silentLogger } from '../../domain/log.js';
import type { ClusterMap, ClusterStatus, ClusterStore, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { validateName } from '../codec.js';
import { LocalCounters, LocalCounterTable } from './counters.js';
import { Dispatcher, Subscription, type HandleContext } from './dispatch.js';
import { LocalLeases, LocalLeaseTable } from './leases.js';
import { LocalMap, LocalMapRegistry } from './maps.js';
import { LocalMembership, LocalNodeTable } from './membership.js';
import { LocalTopicRegistry, LocalTopics } from './topics.js';

export interface LocalStoreOptions {
  /** How often a joined handle renews its membership entry (default 2000). */
  heartbeatIntervalMs?: number;
  /** A node that has not renewed for this long is declared down (default 8000). */
  nodeDownAfterMs?: number;
  /** Where failing listeners are reported (default: dropped). */
  log?: Logger;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`local cluster store: ${name} must be a positive whole number`);
  return value;
}

export class LocalCluster {
  private readonly dispatcher: Dispatcher;
  private readonly maps: LocalMapRegistry;
  private readonly topics: LocalTopicRegistry;
  private readonly nodes: LocalNodeTable;
  private readonly leases = new LocalLeaseTable();
  private readonly counters = new LocalCounterTable();
  private readonly heartbeatIntervalMs: number;

  constructor(opts: LocalStoreOptions = {}) {
    this.heartbeatIntervalMs = positive('heartbeatIntervalMs', opts.heartbeatIntervalMs, 2000);
    const downAfterMs = positive('nodeDownAfterMs', opts.nodeDownAfterMs, 8000);
    if (downAfterMs <= this.heartbeatIntervalMs) {
      throw new Error('local cluster store: nodeDownAfterMs must be greater than heartbeatIntervalMs');
    }
    this.dispatcher = new Dispatcher(opts.log ?? silentLogger);
    this.maps = new LocalMapRegistry(this.dispatcher);
    this.topics = new LocalTopicRegistry(this.dispatcher);
    const sweepEveryMs = Math.max(10, Math.min(this.heartbeatIntervalMs, Math.floor(downAfterMs / 4)));
    this.nodes = new LocalNodeTable(this.dispatcher, downAfterMs, sweepEveryMs);
  }

  /** A new handle: one node's connection to this cluster. */
  store(): ClusterStore {
    return new LocalStore(this.maps, this.topics, this.nodes, this.leases, this.counters, this.heartbeatIntervalMs);
  }
}

class LocalStore implements ClusterStore, HandleContext {
  readonly kind = 'local' as const;
  readonly topics: LocalTopics;
  readonly membership: LocalMembership;
  readonly leases: LocalLeases;
  readonly counters: LocalCounters;
  private readonly mapHandles = new Map<string, LocalMap<unknown>>();
  private readonly subscriptions = new Set<Subscription<never>>();
  private readonly statusListeners = new Set<(status: ClusterStatus) => void>();
  private closed = false;

  constructor(
    private readonly maps: LocalMapRegistry,
    topics: LocalTopicRegistry,
    nodes: LocalNodeTable,
    leases: LocalLeaseTable,
    counters: LocalCounterTable,
    heartbeatIntervalMs: number,
  ) {
    this.topics = new LocalTopics(topics, this);
    this.membership = new LocalMembership(nodes, this, heartbeatIntervalMs);
    this.leases = new LocalLeases(leases, this);
    this.counters = new LocalCounters(counters, this);
  }

  checkOpen(): void {
    if (this.closed) throw new Error('cluster store is closed');
  }

  track(subscription: Subscription<never>): void {
    this.subscriptions.add(subscription);
  }

  map<V>(name: string): ClusterMap<V> {
    validateName('cluster map name', name);
    let map = this.mapHandles.get(name);
    if (!map) {
      map = new LocalMap<unknown>(name, this.maps, this);
      this.mapHandles.set(name, map);
    }
    return map as ClusterMap<V>;
  }

  status(): ClusterStatus {
    return this.closed ? 'disconnected' : 'connected';
  }

  onStatus(listener: (status: ClusterStatus) => void): Unsubscribe {
    this.statusListeners.add(listener);
    return async () => {
      this.statusListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.membership.stopHeartbeat();
    for (const sub of this.subscriptions) sub.active = false;
    this.subscriptions.clear();
    for (const listener of this.statusListeners) {
      try {
        listener('disconnected');
      } catch {
        // a status listener failing must not stop the close
      }
    }
    this.statusListeners.clear();
  }
}

/** A single-node local store (its own LocalCluster); a seam: the local store's own tests use it. */
export function createLocalStore(opts?: LocalStoreOptions): ClusterStore {
  return new LocalCluster(opts).store();
}
