import type { Migration } from '../migrations.js';
import { ensureVideoIndexes } from '../video.js';

export const videoIndex: Migration = {
  id: '003-video',
  description: 'video: recordings (unique zone + fileName; sessionId, projectId, zone + date), agent tokens, audit log',
  async up(db) {
    await ensureVideoIndexes(db);
  },
};
