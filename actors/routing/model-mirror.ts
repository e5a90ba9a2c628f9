// The routing actor's copy of one generation: per collection, id → the latest known state of
// the record (or its tombstone). Filled from the generation's snapshot, then its delta maps;
// delta events may arrive in any order relative to the load, so a state is taken only when it
// is newer than the one held (isNewerState), and a tombstone keeps an older record out.
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  emptyDomainModel,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type ModelKey,
} from '../../domain/routing/entities.js';
import type { MapChange } from '../../domain/ports/cluster-store.js';
import { isNewerState, isTombstone, type DeltaValue } from './cluster-maps.js';
import { drain, YIELD_EVERY_MASK } from './slices.js';

function isDeltaValue(value: unknown, key: string): value is DeltaValue {
  return typeof value === 'object' && value !== null && (value as { id?: unknown }).id === key;
}

export class ModelMirror {
  private readonly maps = new Map<CollectionName, Map<string, DeltaValue>>();
  private live = 0;

  constructor() {
    for (const collection of COLLECTION_NAMES) this.maps.set(collection, new Map());
  }

  /** Takes `value` for `key` when it is newer than what is held; false when it changed nothing. */
  private take(collection: CollectionName, key: string, value: unknown): boolean {
    if (!isDeltaValue(value, key)) return false;
    const map = this.maps.get(collection)!;
    const held = map.get(key);
    if (held !== undefined && !isNewerState(value, held)) return false;
    if (held !== undefined && !isTombstone(held)) this.live--;
    if (!isTombstone(value)) this.live++;
    map.set(key, value);
    return true;
  }

  /** Records of a snapshot chunk. */
  addRecords(collection: CollectionName, records: readonly AnyEntity[]): void {
    for (const record of records) this.take(collection, record.id, record);
  }

  /**
   * Applies one delta map event; false when it changed nothing (stale, duplicate, malformed).
   * Delta entries are never removed while a generation is served, so a removal says nothing.
   */
  apply(collection: CollectionName, change: MapChange<unknown>): boolean {
    if (change.type === 'delete') return false;
    return this.take(collection, change.key, change.value);
  }

  /** Records held (tombstones not counted). */
  get size(): number {
    return this.live;
  }

  /** A fresh model, in the order the records arrived (the view does not depend on it). */
  toModel(): DomainModel {
    return drain(this.toModelSteps());
  }

  /**
   * toModel() in steps that yield every few hundred records (see ./slices.ts). With `reuse`,
   * the lists of collections not in `reuse.changed` are taken from `reuse.model` (a model this
   * mirror produced before, when it held the same records of those collections).
   */
  *toModelSteps(reuse?: { model: DomainModel; changed: ReadonlySet<CollectionName> }): Generator<void, DomainModel> {
    const model = emptyDomainModel();
    let n = 0;
    for (const [collection, map] of this.maps) {
      const key = COLLECTIONS[collection].key;
      if (reuse !== undefined && !reuse.changed.has(collection)) {
        (model as unknown as Record<ModelKey, unknown>)[key] = reuse.model[key];
        continue;
      }
      const records: AnyEntity[] = [];
      for (const value of map.values()) {
        if (!isTombstone(value)) records.push(value);
        if ((++n & YIELD_EVERY_MASK) === 0) yield;
      }
      (model as unknown as Record<ModelKey, AnyEntity[]>)[key] = records;
    }
    return model;
  }
}
