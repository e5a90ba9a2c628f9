// Dropped the session-key collection of the first design. It also built the session index as
// `video_sessions_<xxx>` buckets keyed by recording id; migration 005 replaces that layout (and
// drops those buckets), so building it here again would be wasted work. Idempotent.
import type { Migration } from '../migrations.js';
import { ensureVideoIndexes, VIDEO_SESSION_KEYS_COLLECTION } from '../video.js';

export const videoSessionBuckets: Migration = {
  id: '004-video-sessions',
  description: 'video: video_session_keys dropped (its session index layout is replaced by 005)',
  async up(db) {
    await ensureVideoIndexes(db);
    const existing = await db.listCollections({ name: VIDEO_SESSION_KEYS_COLLECTION }, { nameOnly: true }).toArray();
    if (existing.length > 0) await db.dropCollection(VIDEO_SESSION_KEYS_COLLECTION);
  },
};
