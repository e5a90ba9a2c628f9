// The domain model in the cluster store: one map per collection and generation
// (`domain.g<N>.<collection>`, key = record id, version = record version) and the small map
// `domain.meta` whose entry `current` names the generation every node serves. Switching
// generations (bulk replace, rebuild after a Hazelcast restart, cluster rejoin) writes the new
// maps completely, then sets `current`; every routing actor follows that one entry.
import { COLLECTION_NAMES, type CollectionName, type ModelKey } from '../../domain/routing/entities.js';
import type { ClusterMap, ClusterStore } from '../../domain/ports/cluster-store.js';

export const DOMAIN_META_MAP = 'domain.meta';
export const DOMAIN_META_KEY = 'current';
/** Routing actors announce here that they serve a generation (rejoin reports who acknowledged). */
export const DOMAIN_SWITCH_TOPIC = 'domain.switched';
/** Lease held while a node writes a new generation: one writer in the whole cluster. */
export const DOMAIN_GENERATION_LEASE = 'domain.generation';
/** Bumped when the stored record shape changes (old generations are then rebuilt, not read). */
export const DOMAIN_SCHEMA_VERSION = 1;

/**
 * Per node: a write counter and whether a write is in progress. A rebuild from MongoDB
 * compares them before its read and after its switch; if any moved, a write may have raced
 * the read and a reconcile pass follows (otherwise the second full read is skipped).
 */
export const DOMAIN_WRITERS_MAP = 'domain.writers';

export interface WriterMarker {
  seq: number;
  inflight: boolean;
}

export interface DomainMapsMeta {
  generation: number;
  /** The MongoDB storage generation the maps were built from. */
  storageGeneration: number;
  counts: Record<ModelKey, number>;
  switchedAt: string;
  /** The node that wrote the generation. */
  by: string;
  schema: number;
}

export interface SwitchAck {
  node: string;
  generation: number;
}

export function generationMapName(generation: number, collection: CollectionName): string {
  return `domain.g${generation}.${collection}`;
}

export function generationMap<V>(store: ClusterStore, generation: number, collection: CollectionName): ClusterMap<V> {
  return store.map<V>(generationMapName(generation, collection));
}

function isMeta(value: unknown): value is DomainMapsMeta {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Partial<DomainMapsMeta>;
  return (
    Number.isInteger(meta.generation) &&
    Number.isInteger(meta.storageGeneration) &&
    typeof meta.counts === 'object' &&
    meta.counts !== null &&
    meta.schema === DOMAIN_SCHEMA_VERSION
  );
}

/**
 * The current generation, or undefined when the maps are missing (fresh or restarted
 * Hazelcast) or were written by another schema version. Read through `entries()`, which asks
 * the member: a near cache could still hold the entry of a member that has since restarted.
 */
export async function readMeta(store: ClusterStore): Promise<DomainMapsMeta | undefined> {
  const entries = await store.map<DomainMapsMeta>(DOMAIN_META_MAP).entries();
  const entry = entries.find(([key]) => key === DOMAIN_META_KEY)?.[1];
  return entry && isMeta(entry.value) ? entry.value : undefined;
}

export function metaFromChange(value: unknown): DomainMapsMeta | undefined {
  return isMeta(value) ? value : undefined;
}

export function totalOf(counts: Partial<Record<ModelKey, number>>): number {
  let total = 0;
  for (const value of Object.values(counts)) if (typeof value === 'number') total += value;
  return total;
}

/** Drops every map of a generation (best effort: garbage, not state). */
export async function destroyGeneration(store: ClusterStore, generation: number): Promise<void> {
  await Promise.all(
    COLLECTION_NAMES.map((c) =>
      generationMap(store, generation, c)
        .destroy()
        .catch(() => undefined),
    ),
  );
}
