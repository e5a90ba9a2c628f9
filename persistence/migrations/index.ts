// The migrations, in the order they run. Append only; never reorder or rename applied ones.
import type { Migration } from '../migrations.js';
import { usersIndexes } from './001-users-indexes.js';
import { domainModelStorage } from './002-domain-model.js';
import { videoIndex } from './003-video.js';
import { videoSessionBuckets } from './004-video-sessions.js';
import { videoSessionSlots } from './005-video-session-slots.js';
import { chatIdReads } from './006-chat-id-reads.js';

export const MIGRATIONS: readonly Migration[] = [
  usersIndexes,
  domainModelStorage,
  videoIndex,
  videoSessionBuckets,
  videoSessionSlots,
  chatIdReads,
];
