// The redirect domain model in MongoDB (the source of truth; the cluster maps are a copy).
//
// Storage generations: the eight collections live as `domain.g<N>.<collection>` and the
// document `domain_meta/current` names the generation in use. FerretDB v1 has neither
// transactions nor renameCollection, so a bulk replace (PUT /api/v1/domain) writes the new
// model into generation N+1 and then switches the pointer with one single-document update:
// readers see the old model or the new one, never a half-written one. A failed bulk replace
// leaves N+1 behind unswitched; the next attempt drops it first. The previous generation is
// kept until the next bulk replace, so a reader that read the pointer just before a switch
// still finds its collections.
//
// Versions: a record starts at 1 and grows by one per change (optimistic concurrency through
// the Repository base); a bulk replace gives every record a version above any stored before,
// so stale cache events of the old model are ignored.
//
// Structurally this is the actors' DomainModelPort (persistence does not import actors/).
import type { Db, Document } from 'mongodb';
import { InFlight, forEachBounded } from '../domain/bounded.js';
import { phaseTimer } from '../domain/phase-timer.js';
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  emptyDomainModel,
  recordsOf,
  type CollectionName,
  type DomainModel,
  type EntityTypes,
  type ModelKey,
} from '../domain/routing/entities.js';
import { ChunkAccumulator, splitChunk, type ChangedRecord, type ModelChunk, type StoredSnapshot } from '../domain/routing/model-chunks.js';
import {
  changesCollectionName,
  loggedChanges,
  logIntent,
  logLength,
  renewStoredSnapshot,
  settleIntent,
  readStoredSnapshot,
  snapshotCollectionName,
  writeStoredSnapshot,
} from './domain-snapshot.js';
import {
  DuplicateKeyError,
  NotFoundError,
  VersionConflictError,
  isDuplicateKeyError,
  isUnavailableError,
  StoreUnavailableError,
} from './errors.js';
import { storedField, type IndexSpec } from './indexes.js';
import { Repository, type EntityMeta, type Page } from './repository.js';

export const DOMAIN_META_COLLECTION = 'domain_meta';
const POINTER_ID = 'current';
const FIRST_GENERATION = 1;
/** Records per insertMany of a bulk replace. */
export const BULK_INSERT_CHUNK = 2000;
/** insertMany calls in flight at once during a bulk replace. */
const INSERTS_IN_FLIGHT = 4;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Records per batch of a full scan. */
const SCAN_BATCH = 5000;
/** Reads of single records in flight at once. */
const LOGGED_READS = 16;

/** A record as stored: the entity plus its bookkeeping (derived fields are never stored). */
export type StoredEntity<C extends CollectionName> = EntityTypes[C] & EntityMeta;

export type EqualityValue = string | number | boolean;

/** One page of a list: place, order (then id), and an optional case-insensitive search. */
export interface DomainListPage {
  limit: number;
  offset: number;
  sort?: { field: string; descending: boolean };
  search?: { text: string; fields: readonly string[] };
}

interface PointerDoc {
  _id: string;
  generation: number;
  /** Every record of this generation written by a bulk replace has at least this version. */
  versionFloor: number;
  switchedAt: string;
}

export interface DomainIndexSpec extends IndexSpec<Record<string, unknown>> {
  /** Only documents that have the field take part (a unique prefix "when set"). */
  sparse?: boolean;
}

export function domainCollectionName(generation: number, collection: CollectionName): string {
  return `domain.g${generation}.${collection}`;
}

const GENERATION_NAME = /^domain\.g(\d+)\.([a-z-]+)$/;

function indexName(collection: CollectionName, fields: readonly string[], unique: boolean): string {
  return `${collection}_${fields.join('_')}${unique ? '_unique' : ''}`;
}

/**
 * The indexes of each collection: one unique index per unique rule of the domain model, plus
 * plain indexes on reference fields (delete checks and derived fields look records up by them)
 * unless a unique index starts with that field.
 */
export const DOMAIN_INDEXES: { readonly [C in CollectionName]: readonly DomainIndexSpec[] } = Object.fromEntries(
  COLLECTION_NAMES.map((collection) => {
    const info = COLLECTIONS[collection];
    const specs: DomainIndexSpec[] = info.unique.map((rule) => ({
      name: indexName(collection, rule.fields, true),
      fields: [...rule.fields],
      unique: true,
      ...(rule.whenSet ? { sparse: true } : {}),
    }));
    for (const ref of info.references) {
      // A unique index that starts with the field serves its look-ups (MongoDB uses an index's prefix).
      if (info.unique.some((rule) => rule.fields[0] === ref.field && rule.whenSet !== true)) continue;
      specs.push({ name: indexName(collection, [ref.field], false), fields: [ref.field] });
    }
    return [collection, specs];
  }),
) as { [C in CollectionName]: DomainIndexSpec[] };

/**
 * Which indexes: the unique ones (a bulk replace builds them before its switch), the plain
 * look-up ones (after it), or all.
 */
export type DomainIndexKinds = 'all' | 'unique' | 'lookup';

/** Creates the collections' indexes of one generation (idempotent). */
export async function ensureDomainGeneration(db: Db, generation: number, kinds: DomainIndexKinds = 'all'): Promise<void> {
  // One index at a time: FerretDB (SQLite) closed the connection on concurrent index builds.
  for (const collection of COLLECTION_NAMES) {
    const coll = db.collection(domainCollectionName(generation, collection));
    for (const spec of DOMAIN_INDEXES[collection]) {
      if ((kinds === 'unique' && spec.unique !== true) || (kinds === 'lookup' && spec.unique === true)) continue;
      const key: Record<string, 1> = {};
      for (const field of spec.fields) key[storedField(field)] = 1;
      await coll.createIndex(key, {
        name: spec.name,
        ...(spec.unique ? { unique: true } : {}),
        ...(spec.sparse ? { sparse: true } : {}),
      });
    }
  }
}

/** The first generation and its pointer (run by a migration; also on first use). */
export async function ensureDomainStorage(db: Db): Promise<void> {
  const meta = db.collection<PointerDoc>(DOMAIN_META_COLLECTION);
  const pointer = await meta.findOne({ _id: POINTER_ID });
  if (pointer !== null) return;
  await ensureDomainGeneration(db, FIRST_GENERATION);
  try {
    await meta.insertOne({
      _id: POINTER_ID,
      generation: FIRST_GENERATION,
      versionFloor: 1,
      switchedAt: new Date().toISOString(),
    });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err; // another node did it at the same moment
  }
}

/** A bulk replace lost the race against another one that switched the pointer first. */
export class ConcurrentReplaceError extends Error {
  readonly code = 'CONFLICT';
  constructor() {
    super('Another replacement of the whole domain model finished first; reload it and try again.');
    this.name = 'ConcurrentReplaceError';
  }
}

export type ModelCounts = Record<ModelKey, number>;

/** Records of one collection, part of a model arriving in slices (collections in COLLECTION_NAMES order). */
export interface ModelSlice {
  collection: CollectionName;
  records: readonly object[];
}

export interface ReplaceAllOptions {
  /**
   * Called with the model's snapshot chunks once every record is inserted, before the indexes
   * build: work that may run meanwhile (the cluster maps of the new model, not switched yet).
   */
  beforeIndexes?: (chunks: readonly ModelChunk[]) => void;
}

export interface ReplaceAllResult {
  storageGeneration: number;
  /** The model as stored: versions and timestamps set. */
  model: DomainModel;
  counts: ModelCounts;
  /** Milliseconds per phase (bookkeeping scan, inserts, indexes, stored snapshot, pointer switch, old generations dropped). */
  timings: Record<string, number>;
  /** The model in chunks, as stored in the generation's snapshot (the cluster snapshot copies them). */
  chunks: ModelChunk[];
  /** The look-up indexes, built after the switch: settles when they are. */
  lookupIndexes: Promise<void>;
}

class DomainRepository<C extends CollectionName> extends Repository<StoredEntity<C>> {
  constructor(db: Db, generation: number, collection: C) {
    super(db, domainCollectionName(generation, collection), {
      uniqueIndexes: DOMAIN_INDEXES[collection].filter((spec) => spec.unique) as unknown as IndexSpec<StoredEntity<C>>[],
    });
  }

  /** Stores documents that already carry their bookkeeping (one insertMany). */
  async insertStored(records: readonly StoredEntity<C>[]): Promise<void> {
    const docs = records.map((record) => {
      const { id, ...fields } = record as StoredEntity<C> & Record<string, unknown>;
      const doc: Document = { _id: id };
      for (const [key, value] of Object.entries(fields as Record<string, unknown>)) if (value !== undefined) doc[key] = value;
      return doc as Document & { _id: string };
    });
    try {
      await this.run(() => this.collection.insertMany(docs, { ordered: false }));
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new DuplicateKeyError(this.collectionName, [], undefined, { cause: err });
      throw err;
    }
  }
}

/** The collections of one storage generation: every operation of one request uses one. */
export class DomainGeneration {
  private readonly repos = new Map<CollectionName, DomainRepository<CollectionName>>();

  constructor(
    private readonly db: Db,
    readonly generation: number,
  ) {}

  private repo<C extends CollectionName>(collection: C): DomainRepository<C> {
    let repo = this.repos.get(collection);
    if (!repo) {
      repo = new DomainRepository(this.db, this.generation, collection) as unknown as DomainRepository<CollectionName>;
      this.repos.set(collection, repo);
    }
    return repo as unknown as DomainRepository<C>;
  }

  get<C extends CollectionName>(collection: C, id: string): Promise<StoredEntity<C> | null> {
    return this.repo(collection).findById(id);
  }

  /** Every record whose fields equal the values (an id-list field matches when it contains the value). */
  findBy<C extends CollectionName>(collection: C, filter: Record<string, EqualityValue>): Promise<StoredEntity<C>[]> {
    return this.repo(collection).findAll(filter as never);
  }

  /** One page, sorted by `page.sort` then id (or by id), optionally searched. */
  list<C extends CollectionName>(
    collection: C,
    filter: Record<string, EqualityValue>,
    page: DomainListPage,
  ): Promise<Page<StoredEntity<C>>> {
    return this.repo(collection).find(filter as never, {
      limit: page.limit,
      offset: page.offset,
      ...(page.sort !== undefined ? { sort: { [page.sort.field]: page.sort.descending ? -1 : 1 } as never } : {}),
      ...(page.search !== undefined ? { search: page.search } : {}),
    });
  }

  findAll<C extends CollectionName>(collection: C): Promise<StoredEntity<C>[]> {
    return this.repo(collection).findAll();
  }

  /** Every record of `collection` in batches, unsorted (see DomainRepository.scan). */
  scan<C extends CollectionName>(collection: C, batchSize: number, projection?: readonly string[]): AsyncGenerator<StoredEntity<C>[]> {
    return this.repo(collection).scan(batchSize, projection);
  }

  count(collection: CollectionName): Promise<number> {
    return this.repo(collection).count();
  }

  /** Version 1. A unique clash → DuplicateKeyError naming the fields. */
  async insert<C extends CollectionName>(collection: C, record: EntityTypes[C]): Promise<StoredEntity<C>> {
    return this.logged(collection, record.id, () => this.repo(collection).insert(withoutMeta(record) as never));
  }

  /** Whole-record write if the stored version is still `expectedVersion` (else VersionConflictError). */
  async replace<C extends CollectionName>(
    collection: C,
    record: EntityTypes[C],
    expected: { version: number; createdAt: string },
  ): Promise<StoredEntity<C>> {
    const entity = { ...withoutMeta(record), id: record.id, version: expected.version, createdAt: expected.createdAt };
    return this.logged(collection, record.id, () => this.repo(collection).replace(entity as unknown as StoredEntity<C>));
  }

  /** True when something was deleted. */
  async remove(collection: CollectionName, id: string): Promise<boolean> {
    return this.logged(collection, id, () => this.repo(collection).delete(id));
  }

  /**
   * Names the record in the change log before it is written (docs/decisions.md): a rebuild from
   * the stored snapshot reads every record the log names afresh. Once the write is over — it
   * succeeded, or MongoDB refused it (duplicate key, stale version, not found) — the intent is
   * marked done, which lets a renewal of the snapshot forget it; a write that may still land
   * (a lost connection, a timeout) keeps its intent.
   */
  private async logged<R>(collection: CollectionName, id: string, write: () => Promise<R>): Promise<R> {
    const intent = await runDriver(() => logIntent(this.db, this.generation, collection, id));
    const settle = (): Promise<void> => settleIntent(this.db, this.generation, intent).catch(() => undefined);
    try {
      const result = await write();
      await settle();
      return result;
    } catch (err) {
      if (err instanceof DuplicateKeyError || err instanceof VersionConflictError || err instanceof NotFoundError) await settle();
      throw err;
    }
  }

  /** How many intents of finished writes the change log holds (what a renewal would forget). */
  logLength(): Promise<number> {
    return runDriver(() => logLength(this.db, this.generation));
  }

  /** Writes `chunks` as the next version of the stored snapshot and forgets the intents it covers; its version. */
  renewStoredSnapshot(renewed: Pick<StoredSnapshot, 'version' | 'settled'>, chunks: readonly ModelChunk[]): Promise<number> {
    return runDriver(() => renewStoredSnapshot(this.db, this.generation, renewed, chunks));
  }

  /** The stored snapshot of this generation and the records written since, or why it cannot be used. */
  storedSnapshot(): Promise<StoredSnapshot | { unusable: string }> {
    return runDriver(() => readStoredSnapshot(this.db, this.generation));
  }

  /** Every record written since the snapshot (each once). */
  loggedChanges(): Promise<ChangedRecord[]> {
    return runDriver(async () => (await loggedChanges(this.db, this.generation)) ?? []);
  }

  /** The whole model of this generation (derived fields are not stored, so absent). */
  async loadModel(): Promise<DomainModel> {
    const model = emptyDomainModel();
    const lists = await Promise.all(COLLECTION_NAMES.map((collection) => this.findAll(collection)));
    COLLECTION_NAMES.forEach((collection, i) => {
      (model as unknown as Record<ModelKey, unknown[]>)[COLLECTIONS[collection].key] = lists[i]!;
    });
    return model;
  }

  /** The highest stored version and every record's creation time, from one projected scan. */
  async bookkeeping(collection: CollectionName): Promise<Bookkeeping> {
    const kept = new Bookkeeping();
    for await (const batch of this.repo(collection).scan(SCAN_BATCH, ['version', 'createdAt'])) {
      for (const record of batch) kept.note(record);
    }
    return kept;
  }

  /**
   * The bookkeeping of every collection (in COLLECTION_NAMES order): from the stored snapshot and
   * the records logged since when it is usable (a few large documents instead of every record,
   * docs/decisions.md), else from projected scans.
   */
  async bookkeepingAll(): Promise<Bookkeeping[]> {
    const stored = await this.storedSnapshot();
    if ('unusable' in stored) return Promise.all(COLLECTION_NAMES.map((collection) => this.bookkeeping(collection)));
    const kept = new Map(COLLECTION_NAMES.map((collection) => [collection, new Bookkeeping()]));
    let parsed = 0;
    for (const chunk of stored.chunks) {
      const into = kept.get(chunk.collection)!;
      for (const line of splitChunk(chunk.text)!.lines) {
        into.note(JSON.parse(line) as Partial<EntityMeta> & { id: string });
        if (++parsed % BULK_INSERT_CHUNK === 0) await yieldToLoop();
      }
    }
    await forEachBounded(stored.changed, LOGGED_READS, async ({ collection, id }) => {
      const now = await this.get(collection, id);
      if (now !== null) kept.get(collection)!.note(now);
      else kept.get(collection)!.createdAt.delete(id);
    });
    return COLLECTION_NAMES.map((collection) => kept.get(collection)!);
  }

  async insertStored<C extends CollectionName>(collection: C, records: readonly StoredEntity<C>[]): Promise<void> {
    await this.repo(collection).insertStored(records);
  }

  async drop(): Promise<void> {
    const names = [
      ...COLLECTION_NAMES.map((collection) => domainCollectionName(this.generation, collection)),
      snapshotCollectionName(this.generation),
      changesCollectionName(this.generation),
    ];
    for (const name of names) {
      await this.db
        .collection(name)
        .drop()
        .catch(() => false);
    }
  }
}

function withoutMeta(record: object): Record<string, unknown> {
  const { version: _v, createdAt: _c, updatedAt: _u, ...rest } = record as Record<string, unknown>;
  return rest;
}

function withoutDerived(collection: CollectionName, record: object): Record<string, unknown> {
  const out = { ...(record as Record<string, unknown>) };
  for (const field of COLLECTIONS[collection].derived) delete out[field];
  return out;
}

export function countsOf(model: DomainModel): ModelCounts {
  const counts = {} as ModelCounts;
  for (const collection of COLLECTION_NAMES) counts[COLLECTIONS[collection].key] = recordsOf(model, collection).length;
  return counts;
}

export interface DomainModelStoreOptions {
  now?: () => Date;
}

/** The highest version and the creation times of one collection's records. */
class Bookkeeping {
  maxVersion = 0;
  readonly createdAt = new Map<string, string>();

  note(record: Partial<EntityMeta> & { id: string }): void {
    if (typeof record.version === 'number' && record.version > this.maxVersion) this.maxVersion = record.version;
    if (typeof record.createdAt === 'string') this.createdAt.set(record.id, record.createdAt);
  }
}

/** The redirect domain model in MongoDB (see the file comment). */
export class MongoDomainModelStore {
  private readonly now: () => Date;
  private storageReady: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    opts: DomainModelStoreOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  private async pointer(): Promise<PointerDoc> {
    const meta = this.db.collection<PointerDoc>(DOMAIN_META_COLLECTION);
    let doc = await runDriver(() => meta.findOne({ _id: POINTER_ID }));
    if (doc === null) {
      this.storageReady ??= ensureDomainStorage(this.db).finally(() => {
        this.storageReady = undefined;
      });
      await runDriver(() => this.storageReady!);
      doc = await runDriver(() => meta.findOne({ _id: POINTER_ID }));
      if (doc === null) throw new Error('domain_meta: the storage pointer could not be created');
    }
    return doc;
  }

  /** The generation in use now; use the returned object for all steps of one operation. */
  async at(): Promise<DomainGeneration> {
    const pointer = await this.pointer();
    return new DomainGeneration(this.db, pointer.generation);
  }

  /**
   * Replaces the whole model, written into a new generation, then switched to at once. On
   * failure nothing visible changes. `input` is a validated model, or one arriving in slices
   * while it is still being validated (docs/routing.md, "Bulk load"): the records are stored as
   * they come, and when the slices end in an error (the model is invalid) the new generation is
   * dropped and that error thrown.
   */
  async replaceAll(input: DomainModel | AsyncIterable<ModelSlice>, opts: ReplaceAllOptions = {}): Promise<ReplaceAllResult> {
    const timer = phaseTimer();
    const pointer = await this.pointer();
    const current = new DomainGeneration(this.db, pointer.generation);
    const next = new DomainGeneration(this.db, pointer.generation + 1);
    await next.drop(); // leftovers of an attempt that failed before its switch
    timer.lap('prepare');

    const at = this.now().toISOString();
    const model = emptyDomainModel();
    const inserts = new InFlight(INSERTS_IN_FLIGHT);
    let version = 0;
    let chunks: ModelChunk[];
    try {
      // The highest version and the creation times to keep (from the stored snapshot when usable).
      const kept = await current.bookkeepingAll();
      version = Math.max(pointer.versionFloor, ...kept.map((k) => k.maxVersion + 1));
      timer.lap('bookkeeping');
      const created = new Map(COLLECTION_NAMES.map((collection, i) => [collection, kept[i]!.createdAt]));
      const stamp = (collection: CollectionName, record: object): StoredEntity<CollectionName> => {
        const { id } = record as { id: string };
        const fields = withoutDerived(collection, withoutMeta(record));
        return {
          ...fields,
          id,
          version,
          createdAt: created.get(collection)!.get(id) ?? at,
          updatedAt: at,
        } as unknown as StoredEntity<CollectionName>;
      };
      chunks = await this.insertSlices(next, slicesOf(input), stamp, model, inserts);
      timer.lap('insert');
      opts.beforeIndexes?.(chunks);
      // Unique indexes once the records are in (a clash fails here, before anything is switched).
      await runDriver(() => ensureDomainGeneration(this.db, next.generation, 'unique'));
      timer.lap('indexes');
      await runDriver(() => writeStoredSnapshot(this.db, next.generation, chunks, at));
      timer.lap('snapshot');
    } catch (err) {
      await inserts.idle(); // an insert still in flight would create its collection again
      await next.drop();
      if (isDuplicateKeyError(err) && !(err instanceof DuplicateKeyError))
        throw new DuplicateKeyError('domain model', [], undefined, { cause: err });
      throw err;
    }

    const meta = this.db.collection<PointerDoc>(DOMAIN_META_COLLECTION);
    const switched = await runDriver(() =>
      meta.updateOne(
        { _id: POINTER_ID, generation: pointer.generation },
        { $set: { generation: next.generation, versionFloor: version, switchedAt: at } },
      ),
    );
    if (switched.matchedCount !== 1) {
      await next.drop();
      throw new ConcurrentReplaceError();
    }
    timer.lap('switch');
    await this.dropGenerationsBefore(pointer.generation);
    timer.lap('dropOld');
    // The look-up indexes only make reads by reference fast, so the model need not wait for them
    // to be served (docs/decisions.md); a rejoin builds any that are missing.
    const lookupIndexes = runDriver(() => ensureDomainGeneration(this.db, next.generation, 'lookup'));
    lookupIndexes.catch(() => undefined);
    return { storageGeneration: next.generation, model, counts: countsOf(model), timings: timer.result(), chunks, lookupIndexes };
  }

  /**
   * Stamps each record as it arrives and inserts it into `next`, BULK_INSERT_CHUNK records per
   * insertMany and a few in flight, so the inserts overlap the slices still coming; answers the
   * model's snapshot chunks. Fails on the first failure (of the slices or of an insert).
   */
  private async insertSlices(
    next: DomainGeneration,
    slices: AsyncIterable<ModelSlice>,
    stamp: (collection: CollectionName, record: object) => StoredEntity<CollectionName>,
    model: DomainModel,
    inserts: InFlight,
  ): Promise<ModelChunk[]> {
    const chunker = new ChunkAccumulator();
    const chunks: ModelChunk[] = [];
    const lists = model as unknown as Record<ModelKey, StoredEntity<CollectionName>[]>;
    let pending: StoredEntity<CollectionName>[] = [];
    let pendingCollection: CollectionName | undefined;
    const flush = async (): Promise<void> => {
      const batch = pending;
      const collection = pendingCollection;
      pending = [];
      if (batch.length > 0 && collection !== undefined) await inserts.start(() => next.insertStored(collection, batch));
    };
    for await (const { collection, records } of slices) {
      if (collection !== pendingCollection) {
        await flush();
        pendingCollection = collection;
      }
      const list = lists[COLLECTIONS[collection].key];
      for (const record of records) {
        const stored = stamp(collection, record);
        list.push(stored);
        pending.push(stored);
        chunks.push(...chunker.push(collection, JSON.stringify(stored)));
        if (pending.length === BULK_INSERT_CHUNK) await flush();
      }
      // Give the event loop back now and then: redirects are served by this thread too.
      await yieldToLoop();
    }
    await flush();
    await inserts.drain();
    const last = chunker.end();
    if (last !== undefined) chunks.push(last);
    return chunks;
  }

  /** Drops the collections of generations older than `keep` (best effort). */
  private async dropGenerationsBefore(keep: number): Promise<void> {
    try {
      const names = await this.db.listCollections({}, { nameOnly: true }).toArray();
      for (const { name } of names) {
        const match = GENERATION_NAME.exec(name);
        if (match && Number(match[1]) < keep)
          await this.db
            .collection(name)
            .drop()
            .catch(() => false);
      }
    } catch {
      // old generations are garbage, not state: dropping them again later is fine
    }
  }
}

/** A whole model as slices of at most BULK_INSERT_CHUNK records, collection by collection. */
async function* slicesOf(input: DomainModel | AsyncIterable<ModelSlice>): AsyncIterable<ModelSlice> {
  if (Symbol.asyncIterator in input) {
    yield* input;
    return;
  }
  for (const collection of COLLECTION_NAMES) {
    const records = recordsOf(input, collection);
    for (let i = 0; i < records.length; i += BULK_INSERT_CHUNK) yield { collection, records: records.slice(i, i + BULK_INSERT_CHUNK) };
  }
}

/** Driver calls outside a Repository: "MongoDB is down" becomes the same StoreUnavailableError. */
async function runDriver<R>(op: () => Promise<R>): Promise<R> {
  try {
    return await op();
  } catch (err) {
    if (isUnavailableError(err) && !(err instanceof StoreUnavailableError)) {
      throw new StoreUnavailableError('MongoDB is unavailable (domain model)', { cause: err });
    }
    throw err;
  }
}
