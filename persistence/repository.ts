// A small typed repository over one MongoDB collection. Entities carry `id` (stored as `_id`),
// `version` (optimistic concurrency) and ISO-8601 `createdAt` / `updatedAt`. Only features that
// both FerretDB v1 and MongoDB 7 support: single-document writes, equality filters, sort/skip/limit.
import { v7 as uuidv7 } from 'uuid';
import type { Collection, Db, Document, Filter, Sort } from 'mongodb';
import {
  DuplicateKeyError,
  NotFoundError,
  StoreUnavailableError,
  VersionConflictError,
  isDuplicateKeyError,
  isUnavailableError,
} from './errors.js';
import { storedField, type IndexSpec } from './indexes.js';

export interface EntityMeta {
  id: string;
  version: number;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** ISO-8601 UTC. */
  updatedAt: string;
}

type MetaKey = keyof EntityMeta;

/** What `insert` takes: the entity without its bookkeeping; `id` is generated (uuid v7) unless given. */
export type NewEntity<T extends EntityMeta> = Omit<T, MetaKey> & { id?: string };

/** Fields `update` may change; `undefined` removes an optional field. */
export type EntityChanges<T extends EntityMeta> = { [K in Exclude<keyof T, MetaKey>]?: T[K] | undefined };

type Scalar = string | number | boolean | null;
/** Equality only. For an array field, the value matches documents whose array contains it. */
export type EqualityFilter<T> = { [K in keyof T]?: T[K] extends readonly (infer E)[] ? E : T[K] };

export interface FindOptions<T> {
  limit?: number;
  offset?: number;
  /** Field → 1 (ascending) or -1; `id` last by default so pages are stable. */
  sort?: { [K in keyof T & string]?: 1 | -1 };
  /** Records where any of `fields` contains `text`, ignoring case (a regular expression match: unindexed). */
  search?: { text: string; fields: readonly string[] };
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface RepositoryOptions<T> {
  /** The collection's unique indexes, to name the fields of a duplicate key. */
  uniqueIndexes?: readonly IndexSpec<T>[];
  now?: () => Date;
  newId?: () => string;
}

type StoredDoc = Document & { _id: string };

const META_KEYS: readonly string[] = ['id', 'version', 'createdAt', 'updatedAt'];

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function withoutUndefined(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) if (value !== undefined) out[key] = value;
  return out;
}

export class Repository<T extends EntityMeta> {
  protected readonly collection: Collection<StoredDoc>;
  private readonly uniqueIndexes: readonly IndexSpec<T>[];
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(
    db: Db,
    readonly collectionName: string,
    opts: RepositoryOptions<T> = {},
  ) {
    this.collection = db.collection<StoredDoc>(collectionName);
    this.uniqueIndexes = (opts.uniqueIndexes ?? []).filter((spec) => spec.unique !== false);
    this.now = opts.now ?? (() => new Date());
    this.newId = opts.newId ?? uuidv7;
  }

  async findById(id: string): Promise<T | null> {
    if (typeof id !== 'string') return null;
    const doc = await this.run(() => this.collection.findOne({ _id: id }));
    return doc === null ? null : this.toEntity(doc);
  }

  async findOne(filter: EqualityFilter<T>): Promise<T | null> {
    const query = this.toQuery(filter);
    const doc = await this.run(() => this.collection.findOne(query));
    return doc === null ? null : this.toEntity(doc);
  }

  /** One page plus the total number of matches. */
  async find(filter: EqualityFilter<T> = {}, opts: FindOptions<T> = {}): Promise<Page<T>> {
    const query = opts.search === undefined ? this.toQuery(filter) : { ...this.toQuery(filter), ...this.toSearch(opts.search) };
    const limit = opts.limit === undefined ? undefined : Math.max(0, Math.floor(opts.limit));
    const offset = Math.max(0, Math.floor(opts.offset ?? 0));
    const total = await this.run(() => this.collection.countDocuments(query));
    if (limit === 0 || offset >= total) return { items: [], total };
    const docs = await this.run(() => {
      let cursor = this.collection.find(query).sort(this.toSort(opts.sort)).skip(offset);
      if (limit !== undefined) cursor = cursor.limit(limit);
      return cursor.toArray();
    });
    return { items: docs.map((doc) => this.toEntity(doc)), total };
  }

  /** Every match (for rebuilding caches); sorted by id. */
  async findAll(filter: EqualityFilter<T> = {}): Promise<T[]> {
    const query = this.toQuery(filter);
    const docs = await this.run(() => this.collection.find(query).sort({ _id: 1 }).toArray());
    return docs.map((doc) => this.toEntity(doc));
  }

  /**
   * Every record in storage order, in batches of `batchSize`: no server-side sort (FerretDB
   * sorts a whole table in Go before the first batch) and few round trips. `projection` names
   * the fields to read (id always); without it whole records.
   */
  async *scan(batchSize: number, projection?: readonly string[]): AsyncGenerator<T[]> {
    const options = projection === undefined ? { batchSize } : { batchSize, projection: Object.fromEntries(projection.map((f) => [f, 1])) };
    const cursor = this.collection.find({}, options);
    try {
      for (;;) {
        const batch: T[] = [];
        while (batch.length < batchSize) {
          const doc = await this.run(() => cursor.next());
          if (doc === null) break;
          batch.push(this.toEntity(doc));
        }
        if (batch.length > 0) yield batch;
        if (batch.length < batchSize) return;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  async count(filter: EqualityFilter<T> = {}): Promise<number> {
    const query = this.toQuery(filter);
    return this.run(() => this.collection.countDocuments(query));
  }

  async exists(filter: EqualityFilter<T>): Promise<boolean> {
    const query = this.toQuery(filter);
    const doc = await this.run(() => this.collection.findOne(query, { projection: { _id: 1 } }));
    return doc !== null;
  }

  /** Stores a new entity with version 1. A unique clash → DuplicateKeyError. */
  async insert(entity: NewEntity<T>): Promise<T> {
    const { id, ...fields } = entity as NewEntity<T> & Record<string, unknown>;
    for (const key of META_KEYS) delete fields[key];
    const at = this.now().toISOString();
    const doc: StoredDoc = {
      ...withoutUndefined(fields),
      _id: id ?? this.newId(),
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.run(() => this.collection.insertOne(doc));
    } catch (err) {
      throw await this.mapDuplicate(err, doc, true);
    }
    return this.toEntity(doc);
  }

  /**
   * Replaces the whole stored entity. `entity.version` is the version the caller read: if the
   * stored one differs → VersionConflictError; missing → NotFoundError. Returns the stored entity
   * (version + 1, new updatedAt; createdAt as given).
   */
  async replace(entity: T): Promise<T> {
    const { id, version, updatedAt: _previous, ...fields } = entity as T & Record<string, unknown>;
    if (!Number.isInteger(version)) throw new TypeError('replace needs the entity version that was read');
    const doc: StoredDoc = {
      ...withoutUndefined(fields),
      _id: id,
      version: version + 1,
      updatedAt: this.now().toISOString(),
    };
    let matched: number;
    try {
      const result = await this.run(() => this.collection.replaceOne({ _id: id, version }, doc));
      matched = result.matchedCount;
    } catch (err) {
      throw await this.mapDuplicate(err, doc, false);
    }
    if (matched === 0) throw await this.missingOrStale(id, version);
    return this.toEntity(doc);
  }

  /**
   * Changes some fields in one atomic write; `undefined` values remove fields. With
   * `expectedVersion`, a different stored version → VersionConflictError.
   */
  async update(id: string, changes: EntityChanges<T>, expectedVersion?: number): Promise<T> {
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [key, value] of Object.entries(changes)) {
      if (META_KEYS.includes(key) || key === '_id') continue;
      if (value === undefined) unset[key] = '';
      else set[key] = value;
    }
    set.updatedAt = this.now().toISOString();
    const filter: Filter<StoredDoc> = expectedVersion === undefined ? { _id: id } : { _id: id, version: expectedVersion };
    const update: Document = { $set: set, $inc: { version: 1 } };
    if (Object.keys(unset).length > 0) update.$unset = unset;
    let doc: StoredDoc | null;
    try {
      doc = await this.run(() => this.collection.findOneAndUpdate(filter, update, { returnDocument: 'after' }));
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Probe with the whole would-be document, so compound indexes can be matched too.
      const current = await this.collection.findOne({ _id: id }).catch(() => null);
      throw await this.mapDuplicate(err, { ...current, ...set, _id: id }, false);
    }
    if (doc === null) throw await this.missingOrStale(id, expectedVersion);
    return this.toEntity(doc);
  }

  /** True when something was deleted. With `expectedVersion`, a stale version → VersionConflictError. */
  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    const filter: Filter<StoredDoc> = expectedVersion === undefined ? { _id: id } : { _id: id, version: expectedVersion };
    const result = await this.run(() => this.collection.deleteOne(filter));
    if (result.deletedCount === 1) return true;
    if (expectedVersion !== undefined) {
      const err = await this.missingOrStale(id, expectedVersion);
      if (err instanceof VersionConflictError) throw err;
    }
    return false;
  }

  /** Deletes every match; returns how many. */
  async deleteMany(filter: EqualityFilter<T>): Promise<number> {
    const query = this.toQuery(filter);
    const result = await this.run(() => this.collection.deleteMany(query));
    return result.deletedCount;
  }

  // ---- mapping -----------------------------------------------------------------------------

  protected toEntity(doc: StoredDoc): T {
    const { _id, ...rest } = doc;
    return { id: _id, ...rest } as unknown as T;
  }

  /** Equality filters only: operator objects and `$` keys are refused (no query injection). */
  protected toQuery(filter: EqualityFilter<T>): Filter<StoredDoc> {
    const query: Record<string, Scalar> = {};
    for (const [key, value] of Object.entries(filter as Record<string, unknown>)) {
      if (value === undefined) continue;
      if (key.startsWith('$') || key.includes('.') || key === '_id') throw new TypeError(`invalid filter field "${key}"`);
      if (!isScalar(value)) throw new TypeError(`filter on "${key}" must be a plain value`);
      query[storedField(key)] = value;
    }
    return query;
  }

  /** The text as a literal, case-insensitive pattern on each field (no operator reaches the query). */
  private toSearch(search: NonNullable<FindOptions<T>['search']>): Filter<StoredDoc> {
    const pattern = search.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return {
      $or: search.fields.map((key) => {
        if (key.startsWith('$') || key.includes('.')) throw new TypeError(`invalid search field "${key}"`);
        return { [storedField(key)]: { $regex: pattern, $options: 'i' } };
      }),
    };
  }

  private toSort(sort: FindOptions<T>['sort']): Sort {
    const out: Record<string, 1 | -1> = {};
    for (const [key, dir] of Object.entries((sort ?? {}) as Record<string, unknown>)) {
      if (dir !== 1 && dir !== -1) continue;
      if (key.startsWith('$') || key.includes('.')) throw new TypeError(`invalid sort field "${key}"`);
      out[storedField(key)] = dir;
    }
    if (!('_id' in out)) out._id = 1;
    return out;
  }

  // ---- errors ------------------------------------------------------------------------------

  /** Runs a driver call, turning "MongoDB is down" into StoreUnavailableError. */
  protected async run<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (err) {
      if (isUnavailableError(err) && !(err instanceof StoreUnavailableError)) {
        throw new StoreUnavailableError(`MongoDB is unavailable (${this.collectionName})`, { cause: err });
      }
      throw err;
    }
  }

  private async missingOrStale(id: string, expectedVersion: number | undefined): Promise<Error> {
    const current = await this.run(() => this.collection.findOne({ _id: id }, { projection: { version: 1 } }));
    if (current === null || expectedVersion === undefined) return new NotFoundError(this.collectionName, id);
    const actual = typeof current.version === 'number' ? current.version : undefined;
    return new VersionConflictError(this.collectionName, id, expectedVersion, actual);
  }

  /**
   * E11000 → DuplicateKeyError naming the fields. MongoDB says which index clashed; FerretDB v1
   * does not, so then each known unique index is probed for another document with the same values.
   */
  private async mapDuplicate(err: unknown, doc: Record<string, unknown>, inserting: boolean): Promise<unknown> {
    if (!isDuplicateKeyError(err)) return err;
    const indexName = /index: (\S+)/.exec(err.message)?.[1];
    const keyPattern = (err as { keyPattern?: Record<string, unknown> }).keyPattern;
    const fromPattern = keyPattern ? Object.keys(keyPattern).map((f) => (f === '_id' ? 'id' : f)) : undefined;
    if (indexName === '_id_') return new DuplicateKeyError(this.collectionName, ['id'], indexName, { cause: err });
    const sqliteIndex = /UNIQUE constraint failed: index '([^']+)'/.exec(err.message)?.[1];
    // FerretDB's SQLite index is "<table>_<our name>": prefer the longest name that matches.
    const named = [...this.uniqueIndexes]
      .sort((a, b) => b.name.length - a.name.length)
      .find((spec) => spec.name === indexName || (sqliteIndex !== undefined && sqliteIndex.endsWith(`_${spec.name}`)));
    if (named || fromPattern) {
      return new DuplicateKeyError(this.collectionName, fromPattern ?? [...named!.fields], indexName ?? named?.name, {
        cause: err,
      });
    }
    try {
      if (inserting && (await this.collection.findOne({ _id: doc._id as string }, { projection: { _id: 1 } })) !== null) {
        return new DuplicateKeyError(this.collectionName, ['id'], '_id_', { cause: err });
      }
      for (const spec of this.uniqueIndexes) {
        const probe: Record<string, unknown> = { _id: { $ne: doc._id } };
        let complete = true;
        for (const field of spec.fields) {
          const stored = storedField(field);
          if (!(stored in doc)) complete = false;
          probe[stored] = doc[stored];
        }
        if (!complete) continue;
        if ((await this.collection.findOne(probe as Filter<StoredDoc>, { projection: { _id: 1 } })) !== null) {
          return new DuplicateKeyError(this.collectionName, [...spec.fields], spec.name, { cause: err });
        }
      }
    } catch {
      // probing is best effort; the clash itself is certain
    }
    return new DuplicateKeyError(this.collectionName, [], indexName, { cause: err });
  }
}
