// The snapshot of a cluster map generation (docs/routing.md, "Generations"): every record of
// the model in chunks of about 1 MB, in the map `domain.g<N>.snapshot` under keys c0…c<n-1>.
// A chunk is the text `<collection>\n<record JSON>\n<record JSON>…` (one collection per
// chunk, one record per line, so a reader parses it line by line and can yield between lines).
// `domain.meta` carries the chunk count, the per-collection record counts and a hash over the
// chunks: a node refuses a generation it cannot read completely (a writer died mid-write, a
// member lost data), and keeps serving the one it has.
import { COLLECTIONS, COLLECTION_NAMES, type AnyEntity, type CollectionName, type ModelKey } from '../../domain/routing/entities.js';
import { ChunkAccumulator, sha256, snapshotHash, splitChunk, type ModelChunk } from '../../domain/routing/model-chunks.js';
import type { ClusterMap, ClusterStore } from '../../domain/ports/cluster-store.js';
import { mapBounded } from '../../domain/bounded.js';
import { sliceClock, yieldToLoop } from './slices.js';

/** Chunks written at once. */
const CHUNK_CONCURRENCY = 4;

/**
 * Chunks read at once: one. Each chunk costs a few ms of unsliced work (the client decodes the
 * ~1 MB entry, then the hash and the split); with four in flight their answers arrived together
 * and those steps ran back to back in one turn of the serving loop (30–60 ms in B6). One at a
 * time, each step gets a turn of its own; the read takes one round trip per chunk longer.
 */
const CHUNK_READ_CONCURRENCY = 1;

export function snapshotMapName(generation: number): string {
  return `domain.g${generation}.snapshot`;
}

export function snapshotMap(store: ClusterStore, generation: number): ClusterMap<string> {
  return store.map<string>(snapshotMapName(generation));
}

const chunkKey = (index: number): string => `c${index}`;

/** What `domain.meta` says about a snapshot. */
export interface SnapshotSummary {
  chunks: number;
  counts: Record<ModelKey, number>;
  /** sha256 over the chunks' sha256s, in chunk order. */
  hash: string;
}

function zeroCounts(): Record<ModelKey, number> {
  return Object.fromEntries(COLLECTION_NAMES.map((c) => [COLLECTIONS[c].key, 0])) as Record<ModelKey, number>;
}

/** Writes a snapshot chunk by chunk while records are added (at most a few chunks in memory). */
export class SnapshotWriter {
  private readonly map: ClusterMap<string>;
  private readonly counts = zeroCounts();
  private readonly hashes: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private readonly chunker = new ChunkAccumulator();

  /** Gives the event loop back now and then: stringifying 100 000 records takes a while. */
  private readonly pause = sliceClock();

  constructor(store: ClusterStore, generation: number) {
    this.map = snapshotMap(store, generation);
  }

  /** Adds records of one collection; resolves once the chunks they filled are on their way. */
  async add(collection: CollectionName, records: readonly AnyEntity[]): Promise<void> {
    for (const record of records) {
      for (const chunk of this.chunker.push(collection, JSON.stringify(record))) await this.write(chunk);
      await this.pause();
    }
  }

  /** Adds a whole chunk as it is (the text of a stored snapshot's chunk: nothing to stringify). */
  async addChunk(chunk: ModelChunk): Promise<void> {
    const pending = this.chunker.end();
    if (pending !== undefined) await this.write(pending);
    await this.write(chunk);
  }

  /** Writes what is left and waits for every chunk; the summary goes into `domain.meta`. */
  async finish(): Promise<SnapshotSummary> {
    const pending = this.chunker.end();
    if (pending !== undefined) await this.write(pending);
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    return { chunks: this.hashes.length, counts: { ...this.counts }, hash: snapshotHash(this.hashes) };
  }

  private async write(chunk: ModelChunk): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const index = this.hashes.length;
    this.hashes.push(chunk.sha256 ?? sha256(chunk.text));
    this.counts[COLLECTIONS[chunk.collection].key] += chunk.count;
    while (this.inFlight.size >= CHUNK_CONCURRENCY) await Promise.race(this.inFlight);
    const write = this.map.set(chunkKey(index), chunk.text, 1).then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    const tracked = write.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    await this.pause();
  }
}

export class SnapshotIncomplete extends Error {}

function parseRecord(line: string, chunk: number): AnyEntity {
  try {
    return JSON.parse(line) as AnyEntity;
  } catch {
    throw new SnapshotIncomplete(`chunk ${chunk} holds a malformed record`);
  }
}

/**
 * Reads and checks a snapshot: every chunk present, the counts and the hash as announced.
 * `onRecords` receives each chunk's records in chunk order, only once all of them passed the
 * checks (the parse of a chunk yields through `pause`).
 */
export async function readSnapshot(
  store: ClusterStore,
  generation: number,
  summary: SnapshotSummary,
  onRecords: (collection: CollectionName, records: AnyEntity[]) => void,
  pause: () => Promise<void>,
): Promise<void> {
  const map = snapshotMap(store, generation);
  const counts = zeroCounts();
  const indexes = Array.from({ length: summary.chunks }, (_, i) => i);
  const chunks = await mapBounded(indexes, CHUNK_READ_CONCURRENCY, async (index) => {
    const entry = await map.get(chunkKey(index));
    if (entry === undefined || typeof entry.value !== 'string')
      throw new SnapshotIncomplete(`chunk ${index} of ${summary.chunks} is missing`);
    const text = entry.value;
    // One unsliced step of a chunk per turn of the loop: the decode (in get), the hash, the split.
    await yieldToLoop();
    const hash = sha256(text);
    await yieldToLoop();
    const split = splitChunk(text);
    await yieldToLoop();
    if (split === undefined) throw new SnapshotIncomplete(`chunk ${index} names no known collection`);
    const { collection, lines } = split;
    const records: AnyEntity[] = [];
    for (const line of lines) {
      records.push(parseRecord(line, index));
      await pause();
    }
    counts[COLLECTIONS[collection].key] += records.length;
    return { hash, collection, records };
  });
  if (snapshotHash(chunks.map((c) => c.hash)) !== summary.hash)
    throw new SnapshotIncomplete('the chunks do not match the hash in domain.meta');
  for (const collection of COLLECTION_NAMES) {
    const key = COLLECTIONS[collection].key;
    if (counts[key] !== (summary.counts[key] ?? 0))
      throw new SnapshotIncomplete(`${key}: ${counts[key]} records in the chunks, ${summary.counts[key] ?? 0} announced`);
  }
  // In chunk order, so every node holds the records in the same order.
  for (const chunk of chunks) {
    onRecords(chunk.collection, chunk.records);
    await pause();
  }
}
