// Builds the session index buckets (docs/video.md, "Storage") from the recordings and drops the
// session-key collection they replace. Idempotent: entries are replaced by `_id`.
import type { Db } from 'mongodb';
import type { Migration } from '../migrations.js';
import { ensureVideoIndexes, VIDEO_RECORDINGS_COLLECTION, VIDEO_SESSION_KEYS_COLLECTION } from '../video.js';
import { SessionIndex, type SessionEntrySource } from '../video-sessions.js';

const BATCH = 5_000;

async function buildSessionBuckets(db: Db): Promise<void> {
  const index = new SessionIndex(db);
  const cursor = db.collection<SessionEntrySource>(VIDEO_RECORDINGS_COLLECTION).find({});
  let batch: SessionEntrySource[] = [];
  for await (const doc of cursor) {
    batch.push(doc);
    if (batch.length >= BATCH) {
      await index.putMany(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await index.putMany(batch);
}

export const videoSessionBuckets: Migration = {
  id: '004-video-sessions',
  description: 'video: session index partitioned into bucket collections; video_session_keys dropped',
  async up(db) {
    await ensureVideoIndexes(db);
    await buildSessionBuckets(db);
    const existing = await db.listCollections({ name: VIDEO_SESSION_KEYS_COLLECTION }, { nameOnly: true }).toArray();
    if (existing.length > 0) await db.dropCollection(VIDEO_SESSION_KEYS_COLLECTION);
  },
};
