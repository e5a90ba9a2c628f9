import type { Migration } from '../migrations.js';
import { ensureIndexes } from '../indexes.js';
import { USERS_COLLECTION, USER_INDEXES } from '../users.js';

export const usersIndexes: Migration = {
  id: '001-users-indexes',
  description: 'users: unique email index',
  async up(db) {
    await ensureIndexes(db, USERS_COLLECTION, USER_INDEXES);
  },
};
