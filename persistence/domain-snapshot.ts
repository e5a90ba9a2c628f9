// The stored snapshot of a storage generation and its write-ahead change log (docs/decisions.md,
// "A rejoin reads a stored snapshot…"; docs/routing.md, "The stored snapshot").
//
// `domain.g<N>.snapshot` holds the model a bulk replace inserted into generation N as ~1 MB chunk
// documents `{_id: 'c<i>', count, sha256, gz}` (the chunk text gzipped: FerretDB's cost is per
// byte once documents are large, and JSON shrinks ~5×; sha256 is of the text) and, written last,
// `{_id: 'meta', chunks, counts, hash, version}`. `domain.g<N>.changes` holds one intent
// `{collection, id}` per single-record write into N, inserted before that write and marked
// `done` after it succeeded. Both are dropped with the generation's collections.
//
// Renewal (docs/decisions.md): when the log grows long, the model as it is now is written as the
// next snapshot version (chunks `v<k>.c<i>`), the meta document is replaced last, and only then
// are the intents it covers (those `done` before it read their records) and the old chunks deleted.
import { gunzipSync, gzipSync } from 'node:zlib';
import { Binary, ObjectId, type Db } from 'mongodb';
import { forEachBounded } from '../domain/bounded.js';
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName, type ModelKey } from '../domain/routing/entities.js';
import { sha256, snapshotHash, type ChangedRecord, type ModelChunk, type StoredSnapshot } from '../domain/routing/model-chunks.js';

/** More logged records than this and reading each one costs more than the full scan saves. */
export const MAX_LOGGED_RECORDS = 2000;
/**
 * Intents read at most to decide (a record written several times has several): the log is never
 * trimmed within a generation, and reading a long one only to fall back would be wasted.
 */
export const MAX_LOGGED_INTENTS = 4 * MAX_LOGGED_RECORDS;
const CHUNK_WRITES_IN_FLIGHT = 2;
const META_ID = 'meta';
/** Fast compression: the chunks are written once per bulk replace and read by every rebuild. */
const GZIP_LEVEL = 1;
// On the event loop, one ~1 MB chunk at a time (a few ms each) with a turn of the loop in
// between: the libuv thread pool is shared with DNS look-ups (the health checker's probes),
// which kept a 0.3 s read waiting for seconds in B6.
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const snapshotCollectionName = (generation: number): string => `domain.g${generation}.snapshot`;
export const changesCollectionName = (generation: number): string => `domain.g${generation}.changes`;

interface ChunkDoc {
  _id: string;
  count: number;
  sha256: string;
  gz: Binary;
}

interface SnapshotMetaDoc {
  _id: typeof META_ID;
  /** Absent in a bulk replace's snapshot (version 0). */
  version?: number;
  chunks: number;
  counts: Record<ModelKey, number>;
  hash: string;
  writtenAt: string;
}

interface IntentDoc {
  _id?: ObjectId;
  collection: CollectionName;
  id: string;
  at: string;
  /** Set after the write succeeded: the write is no longer in flight. */
  done?: true;
}

/** Chunk ids of a snapshot version: the bulk replace's are `c<i>`, a renewal's `v<k>.c<i>`. */
const chunkId = (version: number, i: number): string => (version === 0 ? `c${i}` : `v${version}.c${i}`);
const chunkPrefix = (version: number): string => (version === 0 ? 'c' : `v${version}.c`);
/** Intents deleted per request after a renewal. */
const FORGET_BATCH = 1000;

type SnapshotDoc = ChunkDoc | SnapshotMetaDoc;

/** Stores `chunks` as the snapshot of `generation`; the meta document goes last. */
export async function writeStoredSnapshot(db: Db, generation: number, chunks: readonly ModelChunk[], at: string): Promise<void> {
  await db.collection<SnapshotDoc>(snapshotCollectionName(generation)).insertOne(await writeChunks(db, generation, 0, chunks, at));
}

/** Inserts the chunks of snapshot `version`; answers its meta document (for the caller to write last). */
async function writeChunks(
  db: Db,
  generation: number,
  version: number,
  chunks: readonly ModelChunk[],
  at: string,
): Promise<SnapshotMetaDoc> {
  const coll = db.collection<SnapshotDoc>(snapshotCollectionName(generation));
  const hashes = chunks.map((chunk) => chunk.sha256 ?? sha256(chunk.text));
  await forEachBounded([...chunks.keys()], CHUNK_WRITES_IN_FLIGHT, async (i) => {
    const chunk = chunks[i]!;
    await nextTurn();
    const gz = new Binary(gzipSync(chunk.text, { level: GZIP_LEVEL }));
    await coll.insertOne({ _id: chunkId(version, i), count: chunk.count, sha256: hashes[i]!, gz });
  });
  const counts = Object.fromEntries(COLLECTION_NAMES.map((c) => [COLLECTIONS[c].key, 0])) as Record<ModelKey, number>;
  for (const chunk of chunks) counts[COLLECTIONS[chunk.collection].key] += chunk.count;
  return { _id: META_ID, ...(version === 0 ? {} : { version }), chunks: chunks.length, counts, hash: snapshotHash(hashes), writtenAt: at };
}

/**
 * Writes `chunks` (the model as it is now, read after `renewed.settled` was) as the next version
 * of the snapshot of `generation`: the chunks, then the meta document, then the intents it
 * covers and the old chunks are deleted. The caller holds the generation lease, so no rebuild
 * reads meanwhile (and a reader that did would see the meta change and not use what it read).
 */
export async function renewStoredSnapshot(
  db: Db,
  generation: number,
  renewed: Pick<StoredSnapshot, 'version' | 'settled'>,
  chunks: readonly ModelChunk[],
): Promise<number> {
  const coll = db.collection<SnapshotDoc>(snapshotCollectionName(generation));
  const version = renewed.version + 1;
  const isLeftover = (id: string): boolean => id !== META_ID && !id.startsWith(chunkPrefix(renewed.version));
  // Chunks of an earlier renewal that stopped before its switch.
  await deleteChunks(db, generation, isLeftover);
  const meta = await writeChunks(db, generation, version, chunks, new Date().toISOString());
  const switched = await coll.replaceOne(
    renewed.version === 0 ? { _id: META_ID, version: { $exists: false } } : { _id: META_ID, version: renewed.version },
    meta,
  );
  if (switched.matchedCount !== 1) throw new Error(`the stored snapshot of generation ${generation} moved on during its renewal`);
  const intents = db.collection<IntentDoc>(changesCollectionName(generation));
  const settled = renewed.settled.map((id) => new ObjectId(id));
  for (let i = 0; i < settled.length; i += FORGET_BATCH) await intents.deleteMany({ _id: { $in: settled.slice(i, i + FORGET_BATCH) } });
  await deleteChunks(db, generation, (id) => id !== META_ID && !id.startsWith(chunkPrefix(version)));
  return version;
}

async function deleteChunks(db: Db, generation: number, which: (id: string) => boolean): Promise<void> {
  const coll = db.collection<SnapshotDoc>(snapshotCollectionName(generation));
  const ids = (await coll.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id).filter(which);
  if (ids.length > 0) await coll.deleteMany({ _id: { $in: ids } });
}

/**
 * Inserted before every single-record write into `generation` (a failure refuses the write);
 * answers the intent's id, for `settleIntent` once the write succeeded.
 */
export async function logIntent(db: Db, generation: number, collection: CollectionName, id: string): Promise<string> {
  const inserted = await db
    .collection<IntentDoc>(changesCollectionName(generation))
    .insertOne({ collection, id, at: new Date().toISOString() });
  return inserted.insertedId.toHexString();
}

/** Marks an intent's write as finished (best effort: an unmarked intent only stays in the log). */
export async function settleIntent(db: Db, generation: number, intentId: string): Promise<void> {
  await db.collection<IntentDoc>(changesCollectionName(generation)).updateOne({ _id: new ObjectId(intentId) }, { $set: { done: true } });
}

/** How many intents of finished writes the change log of `generation` holds (what a renewal would forget). */
export function logLength(db: Db, generation: number): Promise<number> {
  return db.collection<IntentDoc>(changesCollectionName(generation)).countDocuments({ done: true });
}

/**
 * Every record the change log of `generation` names, each once; undefined when it holds more
 * than `maxIntents` intents (only that many + 1 are read).
 */
export async function loggedChanges(db: Db, generation: number, maxIntents = Infinity): Promise<ChangedRecord[] | undefined> {
  return (await readLog(db, generation, maxIntents))?.changed;
}

async function readLog(db: Db, generation: number, maxIntents: number): Promise<Pick<StoredSnapshot, 'changed' | 'settled'> | undefined> {
  const seen = new Map<string, ChangedRecord>();
  const settled: string[] = [];
  const find = db.collection<IntentDoc>(changesCollectionName(generation)).find({}, { batchSize: 100_000 });
  const cursor = Number.isFinite(maxIntents) ? find.limit(maxIntents + 1) : find;
  let intents = 0;
  for await (const intent of cursor) {
    if (++intents > maxIntents) return undefined;
    if (intent.done === true && intent._id instanceof ObjectId) settled.push(intent._id.toHexString());
    if (!COLLECTION_NAMES.includes(intent.collection) || typeof intent.id !== 'string') continue;
    seen.set(`${intent.collection}\u0000${intent.id}`, { collection: intent.collection, id: intent.id });
  }
  return { changed: [...seen.values()], settled };
}

function gunzipText(gz: Binary): string | undefined {
  try {
    return gunzipSync(gz.buffer).toString('utf8');
  } catch {
    return undefined;
  }
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
  const version = meta.version ?? 0;
  // Only this version's chunks: a renewal writes the next version's beside them before its switch.
  const byId = new Map(
    docs.filter((d): d is ChunkDoc => d._id !== META_ID && d._id.startsWith(chunkPrefix(version))).map((d) => [d._id, d]),
  );
  const chunks: ModelChunk[] = [];
  const hashes: string[] = [];
  const counts = new Map<CollectionName, number>();
  for (let i = 0; i < meta.chunks; i++) {
    const doc = byId.get(chunkId(version, i));
    if (doc === undefined || !(doc.gz instanceof Binary)) return { unusable: `chunk ${i} of ${meta.chunks} is missing` };
    await nextTurn();
    const text = gunzipText(doc.gz);
    const collection = text?.slice(0, text.indexOf('\n')) as CollectionName;
    const hash = text === undefined ? undefined : sha256(text);
    if (text === undefined || hash !== doc.sha256 || lineCount(text) !== doc.count || !COLLECTION_NAMES.includes(collection))
      return { unusable: `chunk ${i} is damaged` };
    hashes.push(hash);
    counts.set(collection, (counts.get(collection) ?? 0) + doc.count);
    chunks.push({ collection, text, count: doc.count, sha256: hash });
  }
  if (byId.size !== meta.chunks || snapshotHash(hashes) !== meta.hash) return { unusable: 'the chunks do not match the snapshot hash' };
  for (const collection of COLLECTION_NAMES) {
    if ((counts.get(collection) ?? 0) !== meta.counts[COLLECTIONS[collection].key])
      return { unusable: `${collection}: the chunks hold another number of records than announced` };
  }
  const log = await readLog(db, generation, MAX_LOGGED_INTENTS);
  if (log === undefined) return { unusable: `more than ${MAX_LOGGED_INTENTS} writes logged since the snapshot` };
  if (log.changed.length > MAX_LOGGED_RECORDS)
    return { unusable: `${log.changed.length} records written since the snapshot (more than ${MAX_LOGGED_RECORDS})` };
  // A renewal that switched after these chunks were read may have deleted intents they need.
  const after = await db.collection<SnapshotDoc>(snapshotCollectionName(generation)).findOne({ _id: META_ID });
  if (after === null || ((after as SnapshotMetaDoc).version ?? 0) !== version)
    return { unusable: 'the stored snapshot was renewed while it was read' };
  return { chunks, version, ...log };
}
