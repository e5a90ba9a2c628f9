// The session index of the video recordings: a search by session id is two `_id` look-ups in
// one small collection (docs/video.md, "Storage"; measured in docs/performance.md, B7).
//
// FerretDB v1.24.2 (SQLite) pushes only an `_id` equality down to SQLite, which still reads
// every row's JSON for it (cheap per row, linear in the collection); any other filter decodes
// every document in FerretDB, ~15 times dearer per document. And every `find` copies the
// metadata of every collection of the database (~1.7 µs each), `distinct` does not. So:
//  - the index is split over SESSION_BUCKETS collections `video_session_slots_<xxx>` by a hash
//    of the session id (~250 entries each at 1 000 000 recordings), in a database of its own
//    (`<database>_video_sessions`) so that they do not slow down every other `find`;
//  - each recording of a session has a *slot* `_id: "<k>:<sessionId>"`, k = 0, 1, … claimed by
//    a unique insert (the only atomic step FerretDB offers across writers); a search reads the
//    slots 0, 1, … by `_id` until one is missing;
//  - a slot is read with `distinct('entry', { _id })`, and holds the entry as one JSON string:
//    the smallest document SQLite has to parse per row, and no collection-list copy.
// Slots are never removed (recordings are never deleted, only marked), so the slots of a session
// are 0 … n-1 without gaps and a recording keeps its slot for good (the store remembers it in
// the recording, `sessionSlot`, and writes it straight there).
import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';

/** Number of bucket collections: 16^3, the first 3 hex digits of sha256(sessionId). */
export const SESSION_BUCKETS = 4096;
const BUCKET_HEX_DIGITS = 3;
export const SESSION_BUCKET_PREFIX = 'video_session_slots_';
/** Slots read at once by a search; the window doubles while every slot read is taken. */
const FIRST_READ_WINDOW = 2;
/** A slot insert that loses a race re-reads the slot; this many losses in a row is a fault. */
const MAX_CLAIM_RACES = 8;

/** A recording as search shows it; `_id` is the recording id. */
export interface SessionEntryDoc {
  _id: string;
  zone: string;
  projectId?: string;
  sessionId: string;
  fileName: string;
  recordedAt: Date;
  storageDays: number;
  sizeBytes: number;
  sha256: string;
  legalHold: boolean;
  deletedAt?: Date;
  missing?: boolean;
}

/** A recording as stored: a slot copies only the fields of SessionEntryDoc (not e.g. `expiresAt`). */
export type SessionEntrySource = SessionEntryDoc;

/** What a bucket stores: `_id` = `<k>:<sessionId>`, `entry` = the SessionEntryDoc as JSON. */
export interface SessionSlotDoc {
  _id: string;
  entry: string;
}

/** Appended to the node's database name: the session index has a database of its own. */
export const SESSION_DATABASE_SUFFIX = '_video_sessions';

/**
 * The database of the session index, beside the node's `db`: its 4 096 buckets would make every
 * `find` in the node's database (a token check's user look-up, …) copy their metadata.
 */
export function sessionIndexDb(db: Db): Db {
  return db.client.db(`${db.databaseName}${SESSION_DATABASE_SUFFIX}`);
}

export function sessionBucketOf(sessionId: string): string {
  const hex = createHash('sha256').update(sessionId).digest('hex').slice(0, BUCKET_HEX_DIGITS);
  return `${SESSION_BUCKET_PREFIX}${hex}`;
}

/** `<k>:<sessionId>`: k has no `:`, so the id is unambiguous whatever the session id holds. */
export function sessionSlotId(slot: number, sessionId: string): string {
  return `${slot}:${sessionId}`;
}

export function sessionEntryOf(recording: SessionEntrySource): SessionEntryDoc {
  const entry: SessionEntryDoc = {
    _id: recording._id,
    zone: recording.zone,
    sessionId: recording.sessionId,
    fileName: recording.fileName,
    recordedAt: recording.recordedAt,
    storageDays: recording.storageDays,
    sizeBytes: recording.sizeBytes,
    sha256: recording.sha256,
    legalHold: recording.legalHold === true,
  };
  if (typeof recording.projectId === 'string') entry.projectId = recording.projectId;
  if (recording.deletedAt instanceof Date) entry.deletedAt = recording.deletedAt;
  if (recording.missing === true) entry.missing = true;
  return entry;
}

/** The slot document of `recording` in slot `slot` of its session. */
export function sessionSlotOf(recording: SessionEntrySource, slot: number): SessionSlotDoc {
  const entry = sessionEntryOf(recording);
  return { _id: sessionSlotId(slot, entry.sessionId), entry: JSON.stringify(entry) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Parses a slot's `entry`; a value this module did not write is an error naming the slot. */
export function parseSessionEntry(slotId: string, json: string): SessionEntryDoc {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  const recordedAt = isRecord(value) ? dateOf(value['recordedAt']) : undefined;
  if (
    !isRecord(value) ||
    recordedAt === undefined ||
    typeof value['_id'] !== 'string' ||
    typeof value['zone'] !== 'string' ||
    typeof value['sessionId'] !== 'string' ||
    typeof value['fileName'] !== 'string' ||
    typeof value['storageDays'] !== 'number' ||
    typeof value['sizeBytes'] !== 'number' ||
    typeof value['sha256'] !== 'string'
  ) {
    throw new Error(`session index slot ${slotId} holds no valid entry`);
  }
  const entry: SessionEntryDoc = {
    _id: value['_id'],
    zone: value['zone'],
    sessionId: value['sessionId'],
    fileName: value['fileName'],
    recordedAt,
    storageDays: value['storageDays'],
    sizeBytes: value['sizeBytes'],
    sha256: value['sha256'],
    legalHold: value['legalHold'] === true,
  };
  if (typeof value['projectId'] === 'string') entry.projectId = value['projectId'];
  const deletedAt = dateOf(value['deletedAt']);
  if (deletedAt !== undefined) entry.deletedAt = deletedAt;
  if (value['missing'] === true) entry.missing = true;
  return entry;
}

/** `<k>:<sessionId>` → its parts; undefined for an id of another shape. */
function slotParts(slotId: string): { slot: number; sessionId: string } | undefined {
  const colon = slotId.indexOf(':');
  const slot = Number(slotId.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(slot) || slot < 0) return undefined;
  return { slot, sessionId: slotId.slice(colon + 1) };
}

interface SlotRead {
  json: string;
  entry: SessionEntryDoc;
}

export class SessionIndex {
  private readonly db: Db;

  /** `db` is the node's database; the index lives in sessionIndexDb(db). */
  constructor(db: Db) {
    this.db = sessionIndexDb(db);
  }

  private bucket(sessionId: string): Collection<SessionSlotDoc> {
    return this.db.collection<SessionSlotDoc>(sessionBucketOf(sessionId));
  }

  private async readSlot(bucket: Collection<SessionSlotDoc>, slotId: string): Promise<SlotRead | undefined> {
    const [json] = (await bucket.distinct('entry', { _id: slotId })) as unknown[];
    if (json === undefined) return undefined;
    if (typeof json !== 'string') throw new Error(`session index slot ${slotId} holds no valid entry`);
    return { json, entry: parseSessionEntry(slotId, json) };
  }

  /**
   * Idempotent: writes the recording into its slot, claiming the first free slot of its session
   * if it has none yet (creating the bucket on first use); returns the slot. `knownSlot`, the
   * slot a previous put returned for this recording (slots never change hands), saves the walk.
   */
  async put(recording: SessionEntrySource, knownSlot?: number): Promise<number> {
    const bucket = this.bucket(recording.sessionId);
    if (knownSlot !== undefined) {
      const doc = sessionSlotOf(recording, knownSlot);
      await bucket.replaceOne({ _id: doc._id }, doc, { upsert: true });
      return knownSlot;
    }
    let races = 0;
    for (let slot = 0; ;) {
      const doc = sessionSlotOf(recording, slot);
      const current = await this.readSlot(bucket, doc._id);
      if (current === undefined) {
        try {
          await bucket.insertOne(doc);
          return slot;
        } catch (error) {
          // Another writer took the slot between the read and the insert: read it again.
          if (!isDuplicateKeyError(error) || ++races > MAX_CLAIM_RACES) throw error;
          continue;
        }
      }
      if (current.entry._id === recording._id) {
        if (current.json !== doc.entry) await bucket.replaceOne({ _id: doc._id }, doc);
        return slot;
      }
      slot += 1;
    }
  }

  /** The session's entries, one per recording, in slot order. */
  async entries(sessionId: string): Promise<SessionEntryDoc[]> {
    const bucket = this.bucket(sessionId);
    const found = new Map<string, SessionEntryDoc>();
    for (let start = 0, width = FIRST_READ_WINDOW; ; start += width, width *= 2) {
      const slots = Array.from({ length: width }, (_, i) => sessionSlotId(start + i, sessionId));
      const read = await Promise.all(slots.map((slotId) => this.readSlot(bucket, slotId)));
      for (const slot of read) {
        if (slot === undefined) return [...found.values()];
        if (!found.has(slot.entry._id)) found.set(slot.entry._id, slot.entry);
      }
    }
  }

  /**
   * Writes many recordings (a migration rebuilding the index): per bucket, one read of the whole
   * bucket, then one unordered bulk write of the new and changed slots. Idempotent. A bucket a
   * live node wrote meanwhile (a slot taken twice) is redone recording by recording with put().
   */
  async putMany(recordings: readonly SessionEntrySource[]): Promise<void> {
    const perBucket = new Map<string, SessionEntrySource[]>();
    for (const recording of recordings) {
      const name = sessionBucketOf(recording.sessionId);
      const list = perBucket.get(name);
      if (list === undefined) perBucket.set(name, [recording]);
      else list.push(recording);
    }
    for (const [name, list] of perBucket) {
      const bucket = this.db.collection<SessionSlotDoc>(name);
      try {
        await this.putBucket(bucket, list);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        for (const recording of list) await this.put(recording);
      }
    }
  }

  private async putBucket(bucket: Collection<SessionSlotDoc>, recordings: readonly SessionEntrySource[]): Promise<void> {
    const slotOf = new Map<string, SlotRead & { slotId: string }>();
    const nextSlot = new Map<string, number>();
    for (const doc of await bucket.find({}).toArray()) {
      const parts = slotParts(doc._id);
      if (parts === undefined) continue;
      const entry = parseSessionEntry(doc._id, doc.entry);
      slotOf.set(entry._id, { json: doc.entry, entry, slotId: doc._id });
      nextSlot.set(parts.sessionId, Math.max(nextSlot.get(parts.sessionId) ?? 0, parts.slot + 1));
    }
    const inserts: SessionSlotDoc[] = [];
    const replaces: SessionSlotDoc[] = [];
    for (const recording of recordings) {
      const existing = slotOf.get(recording._id);
      if (existing !== undefined) {
        const doc = { _id: existing.slotId, entry: JSON.stringify(sessionEntryOf(recording)) };
        if (doc.entry !== existing.json) replaces.push(doc);
        continue;
      }
      const slot = nextSlot.get(recording.sessionId) ?? 0;
      nextSlot.set(recording.sessionId, slot + 1);
      const doc = sessionSlotOf(recording, slot);
      slotOf.set(recording._id, { json: doc.entry, entry: sessionEntryOf(recording), slotId: doc._id });
      inserts.push(doc);
    }
    if (inserts.length > 0) await bucket.insertMany(inserts, { ordered: false });
    for (const doc of replaces) await bucket.replaceOne({ _id: doc._id }, doc);
  }
}
