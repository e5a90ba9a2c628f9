import type { Migration } from '../migrations.js';
import { ensureDomainStorage } from '../domain-model.js';

export const domainModelStorage: Migration = {
  id: '002-domain-model',
  description: 'redirect domain model: generation 1 collections with their unique indexes, and the storage pointer',
  async up(db) {
    await ensureDomainStorage(db);
  },
};
