// The domain model as the gateway sees it: typed calls that ask the domain-model actor.
// A missing or slow actor becomes a DomainError UNAVAILABLE naming it (→ 503).
import type { AnyEntity, CollectionName, DomainModel, EntityTypes } from '../../domain/routing/entities.js';
import { ActorStoppedError, AskTimeoutError, ask, type ActorRef } from '../kernel/index.js';
import type {
  DomainMsg,
  EntityBody,
  EpgReport,
  EpgSkip,
  ListQuery,
  ProgramDraft,
  RebuildReport,
  ReplaceModelResult,
} from './domain-model.js';
import { unavailable } from './errors.js';
import type { EntityPage } from './ports.js';

export interface DomainService {
  list<C extends CollectionName>(collection: C, query: ListQuery): Promise<EntityPage<EntityTypes[C]>>;
  get<C extends CollectionName>(collection: C, id: string): Promise<EntityTypes[C]>;
  create<C extends CollectionName>(collection: C, body: EntityBody): Promise<EntityTypes[C]>;
  replace<C extends CollectionName>(collection: C, id: string, body: EntityBody): Promise<EntityTypes[C]>;
  patch<C extends CollectionName>(collection: C, id: string, body: EntityBody): Promise<EntityTypes[C]>;
  remove(collection: CollectionName, id: string): Promise<void>;
  /** A health-check transition: MongoDB first, then the cluster map; logged with its reason. */
  setAvailability(serverId: string, available: boolean, reason: string): Promise<void>;
  getModel(): Promise<DomainModel>;
  /** Validates the whole document first (INVALID with every problem; nothing changes). */
  replaceModel(doc: unknown): Promise<ReplaceModelResult>;
  importPrograms(drafts: ProgramDraft[], skipped: EpgSkip[]): Promise<EpgReport>;
  /** Rebuilds the cluster maps from MongoDB as a new generation (the heart of a cluster rejoin). */
  rebuildMaps(reason: string): Promise<RebuildReport>;
}

export interface DomainServiceTimeouts {
  readMs: number;
  writeMs: number;
  /** Bulk replace, EPG import, rebuild. */
  bulkMs: number;
}

export const DEFAULT_DOMAIN_TIMEOUTS: DomainServiceTimeouts = { readMs: 15_000, writeMs: 30_000, bulkMs: 300_000 };

export function createDomainService(ref: ActorRef<DomainMsg>, timeouts: Partial<DomainServiceTimeouts> = {}): DomainService {
  const t: DomainServiceTimeouts = { ...DEFAULT_DOMAIN_TIMEOUTS, ...timeouts };

  async function call<R>(build: Parameters<typeof ask<DomainMsg, R>>[1], timeoutMs: number): Promise<R> {
    try {
      return await ask<DomainMsg, R>(ref, build, timeoutMs);
    } catch (err) {
      if (err instanceof AskTimeoutError)
        throw unavailable('domain model actor', 'The domain model service did not answer in time; try again later.');
      if (err instanceof ActorStoppedError)
        throw unavailable('domain model actor', 'The domain model service is restarting; try again in a moment.');
      throw err;
    }
  }

  return {
    list: <C extends CollectionName>(collection: C, query: ListQuery) =>
      call<EntityPage<AnyEntity>>((replyTo) => ({ type: 'list', collection, query, replyTo }), t.readMs) as Promise<
        EntityPage<EntityTypes[C]>
      >,
    get: <C extends CollectionName>(collection: C, id: string) =>
      call<AnyEntity>((replyTo) => ({ type: 'get', collection, id, replyTo }), t.readMs) as Promise<EntityTypes[C]>,
    create: <C extends CollectionName>(collection: C, body: EntityBody) =>
      call<AnyEntity>((replyTo) => ({ type: 'create', collection, body, replyTo }), t.writeMs) as Promise<EntityTypes[C]>,
    replace: <C extends CollectionName>(collection: C, id: string, body: EntityBody) =>
      call<AnyEntity>((replyTo) => ({ type: 'replace', collection, id, body, replyTo }), t.writeMs) as Promise<EntityTypes[C]>,
    patch: <C extends CollectionName>(collection: C, id: string, body: EntityBody) =>
      call<AnyEntity>((replyTo) => ({ type: 'patch', collection, id, body, replyTo }), t.writeMs) as Promise<EntityTypes[C]>,
    remove: (collection, id) => call<void>((replyTo) => ({ type: 'delete', collection, id, replyTo }), t.writeMs),
    setAvailability: (serverId, available, reason) =>
      call<void>((replyTo) => ({ type: 'set-availability', serverId, available, reason, replyTo }), t.writeMs),
    getModel: () => call<DomainModel>((replyTo) => ({ type: 'get-model', replyTo }), t.bulkMs),
    replaceModel: (doc) => call<ReplaceModelResult>((replyTo) => ({ type: 'replace-model', doc, replyTo }), t.bulkMs),
    importPrograms: (drafts, skipped) => call<EpgReport>((replyTo) => ({ type: 'import-programs', drafts, skipped, replyTo }), t.bulkMs),
    rebuildMaps: (reason) => call<RebuildReport>((replyTo) => ({ type: 'rebuild-maps', reason, replyTo }), t.bulkMs),
  };
}
