// The cluster snapshot a rebuild writes, remembering which state of each record it holds (for
// the reconcile pass after the switch), and the fill of it from MongoDB's stored snapshot plus
// the records its change log names (docs/routing.md, "The stored snapshot").
import { forEachBounded } from '../../../domain/bounded.js';
import { COLLECTION_NAMES, type CollectionName } from '../../../domain/routing/entities.js';
import { splitChunk, type ModelChunk, type StoredSnapshot } from '../../../domain/routing/model-chunks.js';
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

/** A snapshot being written, remembering each record's state for the reconcile pass. */
export class TrackedSnapshot {
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

/**
 * Fills `snapshot` with the model as it is now: the stored snapshot's records, except those the
 * change log names, which are read afresh (absent = deleted since). Chunks of a collection with
 * no logged record are copied without being parsed.
 */
export async function fillFromStoredSnapshot(gen: DomainGenerationPort, stored: StoredSnapshot, snapshot: TrackedSnapshot): Promise<void> {
  const fresh = new Map<CollectionName, Map<string, AnyStored | null>>();
  await forEachBounded(stored.changed, RECORD_READS, async ({ collection, id }) => {
    const record = await gen.get(collection, id);
    const byId = fresh.get(collection) ?? new Map<string, AnyStored | null>();
    byId.set(id, record);
    fresh.set(collection, byId);
  });
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
