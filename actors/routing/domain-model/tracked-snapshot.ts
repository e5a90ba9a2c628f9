// The cluster snapshot a rebuild writes, remembering which state of each record it holds (for
// the reconcile pass after the switch), and the fill of it from MongoDB's stored snapshot plus
// the records its change log names (docs/routing.md, "The stored snapshot").
import { forEachBounded } from '../../../domain/bounded.js';
import { COLLECTION_NAMES, type CollectionName } from '../../../domain/routing/entities.js';
import { ChunkAccumulator, splitChunk, type ModelChunk, type StoredSnapshot } from '../../../domain/routing/model-chunks.js';
import type { DomainGenerationPort, StoredEntity } from '../ports.js';
import type { SnapshotWriter } from '../snapshot.js';
import { sliceClock } from '../slices.js';

/** Reads of single records in flight at once. */
export const RECORD_READS = 16;

export interface RecordState {
  version: number;
  createdAt: string;
}

type AnyStored = StoredEntity<CollectionName>;

/** Where a model goes chunk by chunk: the cluster snapshot, or a renewed stored snapshot. */
export interface ModelSink {
  add(collection: CollectionName, records: readonly AnyStored[]): Promise<void>;
  /** A stored chunk copied as it is. */
  addChunk(chunk: ModelChunk): Promise<void>;
}

/** A model collected as stored-snapshot chunks (a renewal of the stored snapshot). */
export class ChunkSink implements ModelSink {
  readonly chunks: ModelChunk[] = [];
  private readonly accumulator = new ChunkAccumulator();
  private readonly pause = sliceClock();

  async add(collection: CollectionName, records: readonly AnyStored[]): Promise<void> {
    for (const record of records) {
      this.chunks.push(...this.accumulator.push(collection, JSON.stringify(record)));
      await this.pause();
    }
  }

  async addChunk(chunk: ModelChunk): Promise<void> {
    this.end();
    this.chunks.push(chunk);
    await this.pause();
  }

  /** Every chunk, the last one closed. */
  end(): ModelChunk[] {
    const last = this.accumulator.end();
    if (last !== undefined) this.chunks.push(last);
    return this.chunks;
  }
}

/** A snapshot being written, remembering each record's state for the reconcile pass. */
export class TrackedSnapshot implements ModelSink {
  /** States of the records added one by one (those of chunks copied whole are found in `copied`). */
  readonly states = new Map<CollectionName, Map<string, RecordState>>(COLLECTION_NAMES.map((c) => [c, new Map()]));
  private readonly copied = new Map<CollectionName, ModelChunk[]>();
  /** Time spent waiting for the records (MongoDB), as opposed to writing them. */
  readMs = 0;
  private lastAdd = performance.now();

  constructor(readonly writer: SnapshotWriter) {}

  async add(collection: CollectionName, records: readonly AnyStored[]): Promise<void> {
    this.readMs += performance.now() - this.lastAdd;
    const states = this.states.get(collection)!;
    for (const r of records) states.set(r.id, { version: r.version, createdAt: r.createdAt });
    await this.writer.add(collection, records);
    this.lastAdd = performance.now();
  }

  /** A stored chunk copied as it is. */
  async addChunk(chunk: ModelChunk): Promise<void> {
    this.readMs += performance.now() - this.lastAdd;
    const list = this.copied.get(chunk.collection) ?? [];
    list.push(chunk);
    this.copied.set(chunk.collection, list);
    await this.writer.addChunk(chunk);
    this.lastAdd = performance.now();
  }

  /** The state of `id` this snapshot holds, if any (copied chunks are searched for its line). */
  stateOf(collection: CollectionName, id: string): RecordState | undefined {
    const held = this.states.get(collection)!.get(id);
    if (held !== undefined) return held;
    const needle = `"id":${JSON.stringify(id)}`;
    for (const { text } of this.copied.get(collection) ?? []) {
      for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
        const end = text.indexOf('\n', at);
        const record = JSON.parse(text.slice(text.lastIndexOf('\n', at) + 1, end === -1 ? undefined : end)) as AnyStored;
        if (record.id === id) return { version: record.version, createdAt: record.createdAt };
      }
    }
    return undefined;
  }
}

/** Reading a collection whole costs about this many single-record reads (FerretDB, per record). */
const SCAN_INSTEAD_SHARE = 0.1;
const SCAN_BATCH = 5000;

/**
 * The current state of every logged record (null: gone). One by one by `_id`, or, for a
 * collection where a large share was logged (the health checker marking many servers), one scan
 * of the collection, which FerretDB answers for less than that many single reads.
 */
async function readLogged(gen: DomainGenerationPort, stored: StoredSnapshot): Promise<Map<CollectionName, Map<string, AnyStored | null>>> {
  const logged = new Map<CollectionName, string[]>();
  for (const { collection, id } of stored.changed) logged.set(collection, [...(logged.get(collection) ?? []), id]);
  const inSnapshot = new Map<CollectionName, number>();
  for (const chunk of stored.chunks) inSnapshot.set(chunk.collection, (inSnapshot.get(chunk.collection) ?? 0) + chunk.count);
  const fresh = new Map<CollectionName, Map<string, AnyStored | null>>();
  await forEachBounded([...logged], 2, async ([collection, ids]) => {
    const byId = new Map<string, AnyStored | null>(ids.map((id) => [id, null]));
    fresh.set(collection, byId);
    if (ids.length >= SCAN_INSTEAD_SHARE * (inSnapshot.get(collection) ?? 0)) {
      for await (const batch of gen.scan(collection, SCAN_BATCH))
        for (const record of batch) if (byId.has(record.id)) byId.set(record.id, record);
      return;
    }
    await forEachBounded(ids, RECORD_READS, async (id) => {
      byId.set(id, await gen.get(collection, id));
    });
  });
  return fresh;
}

/**
 * Fills `snapshot` with the model as it is now: the stored snapshot's records, except those the
 * change log names, which are read afresh (absent = deleted since). Chunks of a collection with
 * no logged record are copied without being parsed.
 */
export async function fillFromStoredSnapshot(gen: DomainGenerationPort, stored: StoredSnapshot, snapshot: ModelSink): Promise<void> {
  const fresh = await readLogged(gen, stored);
  const pause = sliceClock();
  for (const collection of COLLECTION_NAMES) {
    const changed = fresh.get(collection);
    const chunks = stored.chunks.filter((chunk) => chunk.collection === collection);
    if (changed === undefined) {
      for (const chunk of chunks) await snapshot.addChunk(chunk);
      continue;
    }
    const replaced = new Set<string>();
    for (const chunk of chunks) {
      const records: AnyStored[] = [];
      for (const line of splitChunk(chunk.text)!.lines) {
        const record = JSON.parse(line) as AnyStored;
        const now = changed.get(record.id);
        if (now === undefined) records.push(record);
        else {
          replaced.add(record.id);
          if (now !== null) records.push(now);
        }
        await pause();
      }
      await snapshot.add(collection, records);
    }
    const created = [...changed].filter(([id, record]) => record !== null && !replaced.has(id)).map(([, record]) => record!);
    await snapshot.add(collection, created);
  }
}
