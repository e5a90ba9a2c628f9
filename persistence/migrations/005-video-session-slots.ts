// Rebuilds the session index (docs/video.md, "Storage") in its slot layout from the recordings,
// then drops the `video_sessions_<xxx>` buckets of migration 004 it replaces. Idempotent: a
// recording that already has its slot keeps it (rewritten only if it changed).
import type { Db } from 'mongodb';
import type { Migration } from '../migrations.js';
import { VIDEO_RECORDINGS_COLLECTION } from '../video.js';
import { SessionIndex, type SessionEntrySource } from '../video-sessions.js';

/** Recordings per putMany: each reads every bucket its recordings fall in once, so few big batches. */
const BATCH = 50_000;
/** The bucket collections of the layout before (`video_sessions_000` … `video_sessions_fff`). */
const OLD_BUCKET = /^video_sessions_[0-9a-f]{3}$/;

async function buildSessionSlots(db: Db): Promise<void> {
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

async function dropOldBuckets(db: Db): Promise<void> {
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of collections) if (OLD_BUCKET.test(name)) await db.dropCollection(name);
}

export const videoSessionSlots: Migration = {
  id: '005-video-session-slots',
  description: 'video: session index as `_id` slots in video_session_slots_<xxx>; the video_sessions_<xxx> buckets dropped',
  async up(db) {
    await buildSessionSlots(db);
    await dropOldBuckets(db);
  },
};
