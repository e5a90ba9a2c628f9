// What the routing actors need from MongoDB. persistence/domain-model.ts
// (MongoDomainModelStore) satisfies it as is; tests may pass fakes. Failures are recognised by
// their `code`: DUPLICATE_KEY (with `fields`), VERSION_CONFLICT, NOT_FOUND, CONFLICT, UNAVAILABLE.
import type { CollectionName, DomainModel, EntityTypes, ModelKey } from '../../domain/routing/entities.js';
import type { ChangedRecord, ModelChunk, StoredSnapshot } from '../../domain/routing/model-chunks.js';

/** A record as stored: the entity plus its bookkeeping (derived fields are never stored). */
export type StoredEntity<C extends CollectionName> = EntityTypes[C] & {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export type EqualityValue = string | number | boolean;

export interface EntityPage<T> {
  items: T[];
  total: number;
}

/** One page of a list: its place, its order, and an optional search (docs/api.md). */
export interface ListPage {
  limit: number;
  offset: number;
  sort?: { field: string; descending: boolean };
  /** Records where any of `fields` contains `text`, ignoring case. */
  search?: { text: string; fields: readonly string[] };
}

/** The collections of one storage generation; every step of one operation uses the same one. */
export interface DomainGenerationPort {
  readonly generation: number;
  get<C extends CollectionName>(collection: C, id: string): Promise<StoredEntity<C> | null>;
  /** Equality on every field; an id-list field matches when it contains the value. */
  findBy<C extends CollectionName>(collection: C, filter: Record<string, EqualityValue>): Promise<StoredEntity<C>[]>;
  /** Sorted by `page.sort` (then id), or by id. */
  list<C extends CollectionName>(
    collection: C,
    filter: Record<string, EqualityValue>,
    page: ListPage,
  ): Promise<EntityPage<StoredEntity<C>>>;
  findAll<C extends CollectionName>(collection: C): Promise<StoredEntity<C>[]>;
  /**
   * Every record in batches of `batchSize`, in no particular order (full scans are not sorted);
   * with `projection` only those fields (and the id).
   */
  scan<C extends CollectionName>(collection: C, batchSize: number, projection?: readonly string[]): AsyncIterable<StoredEntity<C>[]>;
  /** Version 1; a unique clash fails with code DUPLICATE_KEY. */
  insert<C extends CollectionName>(collection: C, record: EntityTypes[C]): Promise<StoredEntity<C>>;
  /** Whole record, only if the stored version is still `expected.version` (else VERSION_CONFLICT). */
  replace<C extends CollectionName>(
    collection: C,
    record: EntityTypes[C],
    expected: { version: number; createdAt: string },
  ): Promise<StoredEntity<C>>;
  remove(collection: CollectionName, id: string): Promise<boolean>;
  loadModel(): Promise<DomainModel>;
  /**
   * The generation's stored snapshot (checked whole) and the records written since, or why it
   * cannot be used (docs/routing.md, "The stored snapshot").
   */
  storedSnapshot(): Promise<StoredSnapshot | { unusable: string }>;
  /** Every record written since the stored snapshot, each once. */
  loggedChanges(): Promise<ChangedRecord[]>;
  /** How many intents of finished writes the change log holds (what a renewal would forget). */
  logLength(): Promise<number>;
  /**
   * Writes `chunks` (the model as it is now, read after `renewed` was) as the next version of the
   * stored snapshot and forgets the intents it covers; answers the new version.
   */
  renewStoredSnapshot(renewed: Pick<StoredSnapshot, 'version' | 'settled'>, chunks: readonly ModelChunk[]): Promise<number>;
}

export interface DomainModelPort {
  at(): Promise<DomainGenerationPort>;
  /**
   * Validated model in (or one arriving in slices, collections in order, whose iteration throws
   * if it turns out invalid), stored model out (versions above every earlier one); all or
   * nothing. `beforeIndexes` gets the model's chunks once every record is inserted.
   */
  replaceAll(
    model: DomainModel | AsyncIterable<{ collection: CollectionName; records: readonly object[] }>,
    opts?: { beforeIndexes?: (chunks: readonly ModelChunk[]) => void },
  ): Promise<{
    storageGeneration: number;
    model: DomainModel;
    counts: Record<ModelKey, number>;
    /** Milliseconds per storage phase (logged at debug). */
    timings?: Record<string, number>;
    /** The stored model in snapshot chunks (copied into the cluster snapshot as they are). */
    chunks?: ModelChunk[];
    /** Indexes still being built after the switch (only reads by reference wait for them). */
    lookupIndexes?: Promise<void>;
  }>;
}
