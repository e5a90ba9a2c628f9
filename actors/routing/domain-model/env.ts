// What the parts of the domain-model actor share: its dependencies, the state that survives
// its restarts, the per-incarnation state, and the availability guards.
import type { CollectionName } from '../../../domain/routing/entities.js';
import type { ClusterStore } from '../../../domain/ports/cluster-store.js';
import type { Tombstone } from '../cluster-maps.js';
import { unavailable } from '../errors.js';
import type { DomainModelPort, StoredEntity } from '../ports.js';
import type { RenewalThresholds } from './snapshot-renewal.js';

export interface DomainModelDeps {
  port: DomainModelPort;
  store: ClusterStore;
  nodeName: string;
  /** The generation this node's routing view serves (a new generation is numbered above it). */
  servedGeneration(): number;
  /** False while MongoDB is known to be down: writes fail at once instead of after a timeout. */
  mongoAvailable?: () => boolean;
  newId?: () => string;
  leaseTtlMs?: number;
  /** How long a generation switch waits for the nodes' acknowledgements. */
  ackTimeoutMs?: number;
  /** When the stored snapshot is renewed (tests lower it; snapshot-renewal.ts). */
  renewal?: RenewalThresholds;
}

/**
 * Kept across restarts of the actor (a restart gives fresh DomainState, not fresh numbers):
 * map generation and writer-marker numbers must never repeat on this node.
 */
export interface SurvivingState {
  /** The highest generation this node wrote (numbers never repeat even if domain.meta was lost). */
  lastWritten: number;
  /** Writes this node started (the writer marker's `seq`). */
  writeSeq: number;
  /** Marker versions only grow. */
  markerVersion: number;
  /** Undoes the running incarnation's subscriptions and timers. */
  cleanup: Array<() => Promise<void> | void>;
  /** Asks the running incarnation for a map rebuild (set by init, cleared on stop). */
  rebuildSelf: ((reason: string) => void) | undefined;
}

/** Fresh at every (re)start. */
export interface DomainState {
  /** Records whose cluster map put failed: put again once the cluster store is back. */
  pending: Map<string, { collection: CollectionName; id: string }>;
}

/** One stored record, or the tombstone of a deleted one, to put into a delta map. */
export type Change =
  | { collection: CollectionName; id: string; record: StoredEntity<CollectionName>; tombstone?: undefined }
  | { collection: CollectionName; id: string; tombstone: Tombstone; record?: undefined };

export interface DomainEnv {
  readonly port: DomainModelPort;
  readonly store: ClusterStore;
  readonly nodeName: string;
  readonly servedGeneration: () => number;
  readonly newId: () => string;
  readonly leaseTtlMs: number;
  readonly ackTimeoutMs: number;
  readonly renewal: RenewalThresholds | undefined;
  readonly surviving: SurvivingState;
  /** False while MongoDB is known to be down. */
  readonly mongoUp: () => boolean;
  /** Throws UNAVAILABLE while MongoDB is known to be down. */
  readonly requireMongo: () => void;
  /** Throws UNAVAILABLE while the cluster store is not connected. */
  readonly requireCluster: () => void;
}

export function domainEnv(deps: DomainModelDeps, newId: () => string): DomainEnv {
  const { store } = deps;
  const mongoUp = (): boolean => !deps.mongoAvailable || deps.mongoAvailable();
  return {
    port: deps.port,
    store,
    nodeName: deps.nodeName,
    servedGeneration: () => deps.servedGeneration(),
    newId: deps.newId ?? newId,
    leaseTtlMs: deps.leaseTtlMs ?? 30_000,
    ackTimeoutMs: deps.ackTimeoutMs ?? 5000,
    renewal: deps.renewal,
    surviving: { lastWritten: 0, writeSeq: 0, markerVersion: Date.now() * 1000, cleanup: [], rebuildSelf: undefined },
    mongoUp,
    requireMongo: () => {
      if (!mongoUp()) {
        throw unavailable('MongoDB', 'MongoDB is unavailable; the domain model cannot be read or changed right now. Try again later.');
      }
    },
    requireCluster: () => {
      if (store.status() !== 'connected') {
        throw unavailable('cluster store', 'The cluster store (Hazelcast) is unavailable; try again later.');
      }
    },
  };
}
