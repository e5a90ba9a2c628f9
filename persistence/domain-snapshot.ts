// The stored snapshot of a storage generation and its write-ahead change log (docs/decisions.md,
// "A rejoin reads a stored snapshot…"; docs/routing.md, "The stored snapshot").
//
// `domain.g<N>.snapshot` holds the model a bulk replace inserted into generation N as ~1 MB chunk
// documents `{_id: 'c<i>', count, sha256, text}` and, written last, `{_id: 'meta', chunks, counts,
// hash}`. `domain.g<N>.changes` holds one intent `{collection, id}` per single-record write into
// N, inserted before that write. Both are dropped with the generation's collections.
import type { Db } from 'mongodb';
import { forEachBounded } from '../domain/bounded.js';
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName, type ModelKey } from '../domain/routing/entities.js';
import { sha256, snapshotHash, type ChangedRecord, type ModelChunk, type StoredSnapshot } from '../domain/routing/model-chunks.js';

/** More logged records than this and reading each one costs more than the full scan saves. */
export const MAX_LOGGED_RECORDS = 2000;
const CHUNK_WRITES_IN_FLIGHT = 2;
const META_ID = 'meta';

export const snapshotCollectionName = (generation: number): string => `domain.g${generation}.snapshot`;
export const changesCollectionName = (generation: number): string => `domain.g${generation}.changes`;

interface ChunkDoc {
  _id: string;
  count: number;
  sha256: string;
  text: string;
}

interface SnapshotMetaDoc {
  _id: typeof META_ID;
  chunks: number;
  counts: Record<ModelKey, number>;
  hash: string;
  writtenAt: string;
}

interface IntentDoc {
  collection: CollectionName;
  id: string;
  at: string;
}

type SnapshotDoc = ChunkDoc | SnapshotMetaDoc;

/** Stores `chunks` as the snapshot of `generation`; the meta document goes last. */
export async function writeStoredSnapshot(db: Db, generation: number, chunks: readonly ModelChunk[], at: string): Promise<void> {
  const coll = db.collection<SnapshotDoc>(snapshotCollectionName(generation));
  const docs: ChunkDoc[] = chunks.map((chunk, i) => ({ _id: `c${i}`, count: chunk.count, sha256: sha256(chunk.text), text: chunk.text }));
  await forEachBounded(docs, CHUNK_WRITES_IN_FLIGHT, async (doc) => {
    await coll.insertOne(doc);
  });
  const counts = Object.fromEntries(COLLECTION_NAMES.map((c) => [COLLECTIONS[c].key, 0])) as Record<ModelKey, number>;
  for (const chunk of chunks) counts[COLLECTIONS[chunk.collection].key] += chunk.count;
  await coll.insertOne({ _id: META_ID, chunks: docs.length, counts, hash: snapshotHash(docs.map((d) => d.sha256)), writtenAt: at });
}

/** Inserted before every single-record write into `generation` (a failure refuses the write). */
export async function logIntent(db: Db, generation: number, collection: CollectionName, id: string): Promise<void> {
  await db.collection<IntentDoc>(changesCollectionName(generation)).insertOne({ collection, id, at: new Date().toISOString() });
}

/** Every record the change log of `generation` names, each once. */
export async function loggedChanges(db: Db, generation: number): Promise<ChangedRecord[]> {
  const seen = new Map<string, ChangedRecord>();
  const cursor = db.collection<IntentDoc>(changesCollectionName(generation)).find({}, { batchSize: 100_000 });
  for await (const intent of cursor) {
    if (!COLLECTION_NAMES.includes(intent.collection) || typeof intent.id !== 'string') continue;
    seen.set(`${intent.collection}\u0000${intent.id}`, { collection: intent.collection, id: intent.id });
  }
  return [...seen.values()];
}

function lineCount(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/**
 * The snapshot of `generation` checked whole (every chunk present, each chunk's hash and record
 * count, the counts per collection and the hash in the meta document), and the records logged
 * since; or why it cannot be used (then the caller scans every record).
 */
export async function readStoredSnapshot(db: Db, generation: number): Promise<StoredSnapshot | { unusable: string }> {
  const docs = await db.collection<SnapshotDoc>(snapshotCollectionName(generation)).find({}, { batchSize: 4 }).toArray();
  const meta = docs.find((d): d is SnapshotMetaDoc => d._id === META_ID);
  if (meta === undefined) return { unusable: 'no stored snapshot of this generation' };
  const byId = new Map(docs.filter((d): d is ChunkDoc => d._id !== META_ID).map((d) => [d._id, d]));
  const chunks: ModelChunk[] = [];
  const hashes: string[] = [];
  const counts = new Map<CollectionName, number>();
  for (let i = 0; i < meta.chunks; i++) {
    const doc = byId.get(`c${i}`);
    if (doc === undefined || typeof doc.text !== 'string') return { unusable: `chunk ${i} of ${meta.chunks} is missing` };
    const hash = sha256(doc.text);
    const collection = doc.text.slice(0, doc.text.indexOf('\n')) as CollectionName;
    if (hash !== doc.sha256 || lineCount(doc.text) !== doc.count || !COLLECTION_NAMES.includes(collection))
      return { unusable: `chunk ${i} is damaged` };
    hashes.push(hash);
    counts.set(collection, (counts.get(collection) ?? 0) + doc.count);
    chunks.push({ collection, text: doc.text, count: doc.count });
  }
  if (byId.size !== meta.chunks || snapshotHash(hashes) !== meta.hash) return { unusable: 'the chunks do not match the snapshot hash' };
  for (const collection of COLLECTION_NAMES) {
    if ((counts.get(collection) ?? 0) !== meta.counts[COLLECTIONS[collection].key])
      return { unusable: `${collection}: the chunks hold another number of records than announced` };
  }
  const changed = await loggedChanges(db, generation);
  if (changed.length > MAX_LOGGED_RECORDS)
    return { unusable: `${changed.length} records written since the snapshot (more than ${MAX_LOGGED_RECORDS})` };
  return { chunks, changed };
}
