// The session index of the video recordings: search by session id reads one small collection
// (docs/video.md, "Storage").
//
// FerretDB v1.24.2 (SQLite) scans a whole collection for every query, `_id` included, so a
// look-up in one collection of 1 000 000 documents takes seconds (docs/performance.md, B7).
// The index is therefore partitioned by a hash of the session id into SESSION_BUCKETS
// collections `video_sessions_<xxx>`; a bucket holds a copy of what a search shows of each
// recording of its sessions (`_id` = the recording id), so a search is one `find({ sessionId })`
// on a collection of ~250 documents at 1 000 000 recordings. On MongoDB the same layout is an
// `_id` look-up plus a scan of one small collection.
import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

/** Number of bucket collections: 16^3, the first 3 hex digits of sha256(sessionId). */
export const SESSION_BUCKETS = 4096;
const BUCKET_HEX_DIGITS = 3;
export const SESSION_BUCKET_PREFIX = 'video_sessions_';

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

/** A recording as stored: a bucket copies only the fields of SessionEntryDoc (not e.g. `expiresAt`). */
export type SessionEntrySource = SessionEntryDoc;

export function sessionBucketOf(sessionId: string): string {
  const hex = createHash('sha256').update(sessionId).digest('hex').slice(0, BUCKET_HEX_DIGITS);
  return `${SESSION_BUCKET_PREFIX}${hex}`;
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

export class SessionIndex {
  constructor(private readonly db: Db) {}

  private bucket(sessionId: string): Collection<SessionEntryDoc> {
    return this.db.collection<SessionEntryDoc>(sessionBucketOf(sessionId));
  }

  /** Idempotent: replaces the recording's entry by `_id` (creating the bucket on first use). */
  async put(recording: SessionEntrySource): Promise<void> {
    const entry = sessionEntryOf(recording);
    await this.bucket(entry.sessionId).replaceOne({ _id: entry._id }, entry, { upsert: true });
  }

  async entries(sessionId: string): Promise<SessionEntryDoc[]> {
    return this.bucket(sessionId).find({ sessionId }).toArray();
  }

  /** Entries grouped per bucket, inserted unordered (a migration or a benchmark seeding many). */
  async putMany(recordings: readonly SessionEntrySource[]): Promise<void> {
    const perBucket = new Map<string, SessionEntryDoc[]>();
    for (const recording of recordings) {
      const entry = sessionEntryOf(recording);
      const name = sessionBucketOf(entry.sessionId);
      const list = perBucket.get(name);
      if (list === undefined) perBucket.set(name, [entry]);
      else list.push(entry);
    }
    for (const [name, entries] of perBucket) {
      const bucket = this.db.collection<SessionEntryDoc>(name);
      await bucket.bulkWrite(
        entries.map((entry) => ({ replaceOne: { filter: { _id: entry._id }, replacement: entry, upsert: true } })),
        { ordered: false },
      );
    }
  }
}
