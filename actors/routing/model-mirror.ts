// The routing actor's copy of one generation of the cluster maps: per collection, id → the
// latest versioned record. Map events may arrive in any order relative to the initial load;
// an event whose version is not newer than what is held is stale and ignored.
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  emptyDomainModel,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type ModelKey,
} from '../../domain/routing/entities.js';
import type { MapChange, VersionedValue } from '../../domain/ports/cluster-store.js';

type Entries = ReadonlyArray<readonly [string, VersionedValue<unknown>]>;

function isRecord(value: unknown, key: string): value is AnyEntity {
  return typeof value === 'object' && value !== null && (value as { id?: unknown }).id === key;
}

export class ModelMirror {
  private readonly maps = new Map<CollectionName, Map<string, VersionedValue<AnyEntity>>>();

  constructor() {
    for (const collection of COLLECTION_NAMES) this.maps.set(collection, new Map());
  }

  /** A mirror of the loaded entries, one list per collection in COLLECTION_NAMES order. */
  static from(lists: readonly Entries[]): ModelMirror {
    const mirror = new ModelMirror();
    COLLECTION_NAMES.forEach((collection, i) => {
      const map = mirror.maps.get(collection)!;
      for (const [key, entry] of lists[i] ?? []) {
        if (isRecord(entry.value, key)) map.set(key, entry as VersionedValue<AnyEntity>);
      }
    });
    return mirror;
  }

  /** Applies one map event; false when it changed nothing (stale, duplicate, malformed). */
  apply(collection: CollectionName, change: MapChange<unknown>): boolean {
    const map = this.maps.get(collection)!;
    if (change.type === 'delete') return map.delete(change.key);
    const held = map.get(change.key);
    if (held !== undefined && held.version >= change.version) return false;
    if (!isRecord(change.value, change.key)) return false;
    map.set(change.key, { version: change.version, value: change.value });
    return true;
  }

  get size(): number {
    let total = 0;
    for (const map of this.maps.values()) total += map.size;
    return total;
  }

  /** A fresh model (lists sorted by id, so views do not depend on arrival order). */
  toModel(): DomainModel {
    const model = emptyDomainModel();
    for (const [collection, map] of this.maps) {
      const records = [...map.values()].map((entry) => entry.value);
      records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      (model as unknown as Record<ModelKey, AnyEntity[]>)[COLLECTIONS[collection].key] = records;
    }
    return model;
  }
}
