// The part of the stored model one write has to be checked against, fetched with a few
// equality look-ups instead of loading everything: the records it references, the records
// that could clash with its unique fields, the records that refer to it, and the records
// its derived fields come from. The result is a DomainModel the pure validators
// (checkEntity, referencesTo, derivedFieldsFor) can read as if it were the whole model.
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  emptyDomainModel,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type ModelKey,
} from '../../domain/routing/entities.js';
import type { DomainGenerationPort, EqualityValue } from './ports.js';

/** Above this many ids in one reference list, the whole target collection is read instead. */
const MANY_IDS = 20;

class PartialModel {
  private readonly byCollection = new Map<CollectionName, Map<string, AnyEntity>>();

  add(collection: CollectionName, records: Iterable<AnyEntity>): void {
    let map = this.byCollection.get(collection);
    if (!map) {
      map = new Map();
      this.byCollection.set(collection, map);
    }
    for (const record of records) if (!map.has(record.id)) map.set(record.id, record);
  }

  toModel(): DomainModel {
    const model = emptyDomainModel();
    for (const [collection, map] of this.byCollection) {
      (model as unknown as Record<ModelKey, AnyEntity[]>)[COLLECTIONS[collection].key] = [...map.values()];
    }
    return model;
  }
}

type Rec = Record<string, unknown>;

function isEquality(value: unknown): value is EqualityValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The records the derived fields of record `id` of `collection` come from. */
async function listersOf(gen: DomainGenerationPort, collection: CollectionName, id: string, into: PartialModel): Promise<void> {
  if (collection === 'server-groups') into.add('regions', await gen.findBy('regions', { serverGroupIds: id }));
  if (collection === 'servers') into.add('server-groups', await gen.findBy('server-groups', { serverIds: id }));
}

/**
 * Everything checkEntity needs to judge `record` (a create, replace or patched record of
 * `collection`); `previous` is the stored record it replaces (undefined for a create).
 */
export async function scopeForWrite(
  gen: DomainGenerationPort,
  collection: CollectionName,
  record: Rec,
  previous?: Rec,
): Promise<DomainModel> {
  const info = COLLECTIONS[collection];
  const partial = new PartialModel();
  const id = record.id as string;
  const work: Array<Promise<void>> = [];

  for (const ref of info.references) {
    const value = record[ref.field];
    const ids = (ref.many ? (Array.isArray(value) ? value : []) : [value]).filter((v): v is string => typeof v === 'string');
    if (ids.length === 0) continue;
    if (ids.length > MANY_IDS) {
      work.push(gen.findAll(ref.target).then((all) => partial.add(ref.target, all)));
      continue;
    }
    for (const target of ids) {
      work.push(
        gen.get(ref.target, target).then((found) => {
          if (found) partial.add(ref.target, [found]);
        }),
      );
    }
  }

  for (const rule of info.unique) {
    if (rule.canonical) {
      work.push(gen.findAll(collection).then((all) => partial.add(collection, all)));
      continue;
    }
    const filter: Record<string, EqualityValue> = {};
    let complete = true;
    for (const field of rule.fields) {
      const value = record[field];
      if (isEquality(value)) filter[field] = value;
      else complete = false;
    }
    if (complete) work.push(gen.findBy(collection, filter).then((found) => partial.add(collection, found)));
  }

  // Records that need this one to keep a property (a record's server must stay a DVR). Only
  // a record that had the property and loses it can break them, so only then look (the
  // referrers can be a large collection).
  for (const from of COLLECTION_NAMES) {
    for (const ref of COLLECTIONS[from].references) {
      const rule = ref.targetType;
      if (ref.target !== collection || !rule || previous?.[rule.field] !== rule.value || record[rule.field] === rule.value) continue;
      work.push(gen.findBy(from, { [ref.field]: id }).then((found) => partial.add(from, found)));
    }
  }

  work.push(listersOf(gen, collection, id, partial));
  await Promise.all(work);
  return partial.toModel();
}

/** Everything referencesTo needs to decide a delete of `current` (and the lists to pull it from). */
export async function scopeForDelete(gen: DomainGenerationPort, collection: CollectionName, current: AnyEntity): Promise<DomainModel> {
  const partial = new PartialModel();
  const work: Array<Promise<void>> = [];
  const id = current.id;
  for (const from of COLLECTION_NAMES) {
    for (const ref of COLLECTIONS[from].references) {
      if (ref.target !== collection) continue;
      // A reference that requires a property (a DVR) cannot point at a record without it.
      if (ref.targetType && (current as unknown as Rec)[ref.targetType.field] !== ref.targetType.value) continue;
      work.push(gen.findBy(from, { [ref.field]: id }).then((found) => partial.add(from, found)));
    }
  }
  await Promise.all(work);
  return partial.toModel();
}

/** The records the derived fields of records `ids` of `collection` come from. */
export async function scopeForDerived(gen: DomainGenerationPort, collection: CollectionName, ids: readonly string[]): Promise<DomainModel> {
  const partial = new PartialModel();
  if (COLLECTIONS[collection].derived.length === 0 || ids.length === 0) return partial.toModel();
  if (ids.length === 1) {
    await listersOf(gen, collection, ids[0]!, partial);
    return partial.toModel();
  }
  if (collection === 'server-groups') partial.add('regions', await gen.findAll('regions'));
  if (collection === 'servers') partial.add('server-groups', await gen.findAll('server-groups'));
  return partial.toModel();
}
