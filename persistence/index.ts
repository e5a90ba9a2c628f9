// The persistence layer's public surface (bin/ wires it; actors get it through their ports).
export { connectMongo, formatDelay, type ConnectMongoOptions, type MongoHandle, type MongoStatus } from './connection.js';
export {
  DuplicateKeyError,
  NotFoundError,
  StoreUnavailableError,
  VersionConflictError,
  isDuplicateKeyError,
  isUnavailableError,
} from './errors.js';
export { FERRETDB_BIN, startFerretDb, type FerretDbOptions, type FerretDbProcess } from './ferretdb.js';
export { ensureIndexes, type IndexSpec } from './indexes.js';
export { MIGRATIONS_COLLECTION, runMigrations, type Migration, type MigrationsResult, type RunMigrationsOptions } from './migrations.js';
export { MIGRATIONS } from './migrations/index.js';
export { redactMongoUrl, redactSecrets } from './redact.js';
export {
  Repository,
  type EntityChanges,
  type EntityMeta,
  type EqualityFilter,
  type FindOptions,
  type NewEntity,
  type Page,
  type RepositoryOptions,
} from './repository.js';
export { USERS_COLLECTION, USER_INDEXES, UsersRepository, type NewUser, type UserChanges } from './users.js';
export {
  ConcurrentReplaceError,
  DOMAIN_INDEXES,
  DOMAIN_META_COLLECTION,
  DomainGeneration,
  MongoDomainModelStore,
  domainCollectionName,
  ensureDomainGeneration,
  ensureDomainStorage,
  type ReplaceAllResult,
  type StoredEntity,
} from './domain-model.js';
export { MongoVideoStore, createVideoStore, ensureVideoIndexes, type AgentTokenRecord, type RegisterResult } from './video.js';
export { MongoRecordingClaims, SCHEDULING_CLAIMS_COLLECTION } from './scheduling-claims.js';
