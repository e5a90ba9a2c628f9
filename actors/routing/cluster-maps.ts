// The domain model in the cluster store (docs/routing.md, "Generations"): per generation a
// snapshot in chunks (./snapshot.ts) plus one delta map per collection
// (`domain.g<N>.<collection>`, key = record id) for the single-record changes made after the
// snapshot, deletes as tombstones; and the small map `domain.meta` whose entry `current` names
// the generation every node serves. Switching generations (bulk replace, rebuild after a
// Hazelcast restart, cluster rejoin) writes the snapshot completely, then sets `current`;
// every routing actor follows that one entry.
import { COLLECTION_NAMES, type AnyEntity, type CollectionName } from '../../domain/routing/entities.js';
import type { ClusterMap, ClusterStore } from '../../domain/ports/cluster-store.js';
import { snapshotMap, type SnapshotSummary } from './snapshot.js';

export const DOMAIN_META_MAP = 'domain.meta';
export const DOMAIN_META_KEY = 'current';
/**
 * The `domain.meta` entry naming a generation that is written completely but not switched to
 * yet (a bulk replace while MongoDB builds its indexes): nodes may load it ahead and swap it in
 * the moment `current` names it (docs/routing.md, "Bulk load"). Removed when the replace ends.
 */
export const DOMAIN_PREPARED_KEY = 'prepared';
/** Routing actors announce here that they serve a generation (rejoin reports who acknowledged). */
export const DOMAIN_SWITCH_TOPIC = 'domain.switched';
/** Lease held while a node writes a new generation: one writer in the whole cluster. */
export const DOMAIN_GENERATION_LEASE = 'domain.generation';
/** Bumped when the stored record shape changes (old generations are then rebuilt, not read). */
export const DOMAIN_SCHEMA_VERSION = 2;

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

export interface DomainMapsMeta extends SnapshotSummary {
  generation: number;
  /** The MongoDB storage generation the maps were built from. */
  storageGeneration: number;
  switchedAt: string;
  /** The node that wrote the generation. */
  by: string;
  schema: number;
}

/** What the writer of a prepared generation announces under DOMAIN_PREPARED_KEY. */
export interface PreparedMeta extends SnapshotSummary {
  generation: number;
  schema: number;
}

/** How long a node took to load a generation: snapshot and deltas read, view built. */
export interface ViewLoadTimings {
  readMs: number;
  buildMs: number;
  /** True when the view was loaded ahead, before the switch (the times are of that load). */
  preloaded?: boolean;
}

export interface SwitchAck {
  node: string;
  generation: number;
  /** Absent from nodes of earlier versions. */
  timings?: ViewLoadTimings;
}

/** A deleted record in a delta map: newer than every state of the record it deletes. */
export interface Tombstone {
  id: string;
  deleted: true;
  createdAt: string;
  version: number;
}

/** What a delta map holds under a record id. */
export type DeltaValue = AnyEntity | Tombstone;

export function isTombstone(value: unknown): value is Tombstone {
  return typeof value === 'object' && value !== null && (value as { deleted?: unknown }).deleted === true;
}

/** The tombstone of a record as last read (its version + 1, so it beats that state). */
export function tombstoneOf(record: { id: string; createdAt: string; version: number }): Tombstone {
  return { id: record.id, deleted: true, createdAt: record.createdAt, version: record.version + 1 };
}

interface RecordState {
  createdAt?: unknown;
  version?: unknown;
}

/**
 * True when state `a` of a record is later than state `b`. Versions count from 1 again when
 * an id is deleted and created anew, so the creation time comes first.
 */
export function isNewerState(a: RecordState, b: RecordState): boolean {
  const ca = typeof a.createdAt === 'string' ? a.createdAt : '';
  const cb = typeof b.createdAt === 'string' ? b.createdAt : '';
  if (ca !== cb) return ca > cb;
  const va = typeof a.version === 'number' ? a.version : 0;
  const vb = typeof b.version === 'number' ? b.version : 0;
  return va > vb;
}

/** The delta map of one collection in one generation. */
export function generationMapName(generation: number, collection: CollectionName): string {
  return `domain.g${generation}.${collection}`;
}

export function generationMap<V>(store: ClusterStore, generation: number, collection: CollectionName): ClusterMap<V> {
  return store.map<V>(generationMapName(generation, collection));
}

function isPreparedMeta(value: unknown): value is PreparedMeta {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Partial<PreparedMeta>;
  return (
    Number.isInteger(meta.generation) &&
    typeof meta.counts === 'object' &&
    meta.counts !== null &&
    Number.isInteger(meta.chunks) &&
    typeof meta.hash === 'string' &&
    meta.schema === DOMAIN_SCHEMA_VERSION
  );
}

function isMeta(value: unknown): value is DomainMapsMeta {
  return isPreparedMeta(value) && Number.isInteger((value as Partial<DomainMapsMeta>).storageGeneration);
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

export function preparedFromChange(value: unknown): PreparedMeta | undefined {
  return isPreparedMeta(value) ? value : undefined;
}

/** Drops every map of a generation (best effort: garbage, not state). */
export async function destroyGeneration(store: ClusterStore, generation: number): Promise<void> {
  const maps: Array<ClusterMap<unknown>> = [
    snapshotMap(store, generation),
    ...COLLECTION_NAMES.map((c) => generationMap(store, generation, c)),
  ];
  await Promise.all(maps.map((map) => map.destroy().catch(() => undefined)));
}
