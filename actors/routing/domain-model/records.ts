// Reads and single-record writes of the domain model: validate against the stored model,
// write to MongoDB (the source of truth), then publish to the cluster maps.
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  SERVER_MANAGED_FIELDS,
  recordsOf,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type EntityTypes,
} from '../../../domain/routing/entities.js';
import type { Logger } from '../../../domain/log.js';
import { applyPatch } from '../../../domain/routing/model-ops.js';
import { checkEntity, derivedFieldsFor, referencesTo } from '../../../domain/routing/validate.js';
import { tombstoneOf } from '../cluster-maps.js';
import { DomainError, notFound } from '../errors.js';
import type { DomainGenerationPort, EntityPage, StoredEntity } from '../ports.js';
import { scopeForDelete, scopeForDerived, scopeForWrite } from '../scoped-model.js';
import type { Change, DomainEnv, DomainState } from './env.js';
import type { MapPublisher } from './map-publisher.js';
import type { EntityBody, ListQuery, ModelCounts } from './messages.js';

const MAX_WRITE_ATTEMPTS = 3;
const READ_ONLY = new Set<string>(SERVER_MANAGED_FIELDS);

export type Rec = Record<string, unknown>;

function withoutFields(record: object, fields: Iterable<string>): Rec {
  const out: Rec = { ...(record as Rec) };
  for (const field of fields) delete out[field];
  return out;
}

/** A body without the fields the server owns (accepted, so a GET result can be sent back, and ignored). */
function bodyFields(collection: CollectionName, body: EntityBody): Rec {
  return withoutFields(body, [...READ_ONLY, ...COLLECTIONS[collection].derived]);
}

export function storable<C extends CollectionName>(collection: C, record: object): EntityTypes[C] {
  return withoutFields(record, [...READ_ONLY, ...COLLECTIONS[collection].derived]) as unknown as EntityTypes[C];
}

export function countsOf(model: DomainModel): ModelCounts {
  const counts = {} as ModelCounts;
  for (const collection of COLLECTION_NAMES) counts[COLLECTIONS[collection].key] = recordsOf(model, collection).length;
  return counts;
}

function checked<C extends CollectionName>(collection: C, candidate: Rec, scope: DomainModel): EntityTypes[C] {
  const result = checkEntity(collection, candidate, scope);
  if (result.ok) return result.record;
  throw new DomainError(result.status === 409 ? 'CONFLICT' : 'INVALID', result.message, result.errors);
}

export interface RecordOps {
  list(collection: CollectionName, query: ListQuery): Promise<EntityPage<AnyEntity>>;
  get(collection: CollectionName, id: string): Promise<AnyEntity>;
  getModel(): Promise<DomainModel>;
  create(state: DomainState, log: Logger, collection: CollectionName, body: EntityBody): Promise<AnyEntity>;
  /** PUT (whole record) and PATCH (some fields): merged onto the stored record, checked, written if unchanged meanwhile. */
  update(
    state: DomainState,
    log: Logger,
    collection: CollectionName,
    id: string,
    body: EntityBody,
    mode: 'replace' | 'patch',
  ): Promise<AnyEntity>;
  remove(state: DomainState, log: Logger, collection: CollectionName, id: string): Promise<void>;
}

export function createRecordOps(env: DomainEnv, publisher: MapPublisher): RecordOps {
  const { port, requireMongo, newId } = env;
  const { publish } = publisher;

  async function decorate<C extends CollectionName>(
    gen: DomainGenerationPort,
    collection: C,
    records: StoredEntity<C>[],
  ): Promise<AnyEntity[]> {
    if (COLLECTIONS[collection].derived.length === 0) return records;
    const scope = await scopeForDerived(
      gen,
      collection,
      records.map((r) => r.id),
    );
    return records.map((r) => ({ ...r, ...derivedFieldsFor(collection, r.id, scope) }));
  }

  async function list(collection: CollectionName, query: ListQuery): Promise<EntityPage<AnyEntity>> {
    requireMongo();
    const gen = await port.at();
    const page = await gen.list(collection, query.filter, {
      limit: query.limit,
      offset: query.offset,
      ...(query.sort !== undefined ? { sort: query.sort } : {}),
      ...(query.search !== undefined ? { search: query.search } : {}),
    });
    return { items: await decorate(gen, collection, page.items), total: page.total };
  }

  async function get(collection: CollectionName, id: string): Promise<AnyEntity> {
    requireMongo();
    const gen = await port.at();
    const record = await gen.get(collection, id);
    if (record === null) throw notFound(collection, id);
    return (await decorate(gen, collection, [record]))[0]!;
  }

  async function getModel(): Promise<DomainModel> {
    requireMongo();
    const gen = await port.at();
    const model = await gen.loadModel();
    const scope = model;
    const out: DomainModel = { ...model };
    out.serverGroups = model.serverGroups.map((g) => ({ ...g, ...derivedFieldsFor('server-groups', g.id, scope) }));
    out.servers = model.servers.map((s) => ({ ...s, ...derivedFieldsFor('servers', s.id, scope) }));
    return out;
  }

  /** Publishes one stored record to the cluster maps; the answer carries its derived fields. */
  async function publishOne(
    state: DomainState,
    log: Logger,
    gen: DomainGenerationPort,
    collection: CollectionName,
    stored: StoredEntity<CollectionName>,
    scope: DomainModel,
  ): Promise<AnyEntity> {
    await publish(state, log, gen.generation, [{ collection, id: stored.id, record: stored }]);
    return { ...stored, ...derivedFieldsFor(collection, stored.id, scope) };
  }

  async function create(state: DomainState, log: Logger, collection: CollectionName, body: EntityBody): Promise<AnyEntity> {
    requireMongo();
    const gen = await port.at();
    const input = bodyFields(collection, body);
    const id = typeof input.id === 'string' ? input.id : newId();
    const candidate: Rec = { ...input, id };
    const [existing, scope] = await Promise.all([gen.get(collection, id), scopeForWrite(gen, collection, candidate)]);
    if (existing !== null) {
      const message = `A ${COLLECTIONS[collection].singular} with id "${id}" already exists.`;
      throw new DomainError('CONFLICT', message, [{ path: 'id', message: 'is already taken' }]);
    }
    const record = checked(collection, candidate, scope);
    const stored = await gen.insert(collection, storable(collection, record));
    return publishOne(state, log, gen, collection, stored, scope);
  }

  const update: RecordOps['update'] = async (state, log, collection, id, body, mode) => {
    requireMongo();
    if (mode === 'replace' && body.id !== undefined && body.id !== id) {
      throw new DomainError('INVALID', `The id in the body ("${String(body.id)}") differs from the id in the URL ("${id}").`, [
        { path: 'id', message: 'must match the id in the URL' },
      ]);
    }
    for (let attempt = 1; ; attempt++) {
      const gen = await port.at();
      const current = await gen.get(collection, id);
      if (current === null) throw notFound(collection, id);
      const candidate: Rec =
        mode === 'patch'
          ? bodyFields(collection, applyPatch(collection, storable(collection, current), body))
          : { ...bodyFields(collection, body), id };
      const scope = await scopeForWrite(gen, collection, candidate, current);
      const record = checked(collection, candidate, scope);
      let stored: StoredEntity<CollectionName>;
      try {
        stored = await gen.replace(collection, storable(collection, record), { version: current.version, createdAt: current.createdAt });
      } catch (err) {
        // Someone else changed it between our read and our write: judge the new state.
        if ((err as { code?: unknown }).code === 'VERSION_CONFLICT' && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw err;
      }
      return publishOne(state, log, gen, collection, stored, scope);
    }
  };

  /** Removes `id` from the list `field` of record `referrer` (a delete's "pull"). */
  async function pull(
    gen: DomainGenerationPort,
    collection: CollectionName,
    referrer: string,
    field: string,
    id: string,
  ): Promise<Change | undefined> {
    for (let attempt = 1; ; attempt++) {
      const record = await gen.get(collection, referrer);
      if (record === null) return undefined;
      const list = (record as unknown as Rec)[field];
      if (!Array.isArray(list) || !list.includes(id)) return undefined;
      const changed = { ...storable(collection, record), [field]: list.filter((v) => v !== id) };
      try {
        const stored = await gen.replace(collection, changed, { version: record.version, createdAt: record.createdAt });
        return { collection, id: referrer, record: stored };
      } catch (err) {
        if ((err as { code?: unknown }).code === 'VERSION_CONFLICT' && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  async function remove(state: DomainState, log: Logger, collection: CollectionName, id: string): Promise<void> {
    requireMongo();
    const gen = await port.at();
    const current = await gen.get(collection, id);
    if (current === null) throw notFound(collection, id);
    const report = referencesTo(collection, id, await scopeForDelete(gen, collection, current));
    if (report.blocked) throw new DomainError('CONFLICT', `${report.message!}.`);
    const changes: Change[] = [];
    // Pull first: if anything fails midway, the record still exists and nothing dangles.
    for (const refs of report.pulls) {
      for (const referrer of refs.ids) {
        const change = await pull(gen, refs.collection, referrer, refs.field, id);
        if (change) changes.push(change);
      }
    }
    if (!(await gen.remove(collection, id))) throw notFound(collection, id);
    changes.push({ collection, id, tombstone: tombstoneOf(current) });
    await publish(state, log, gen.generation, changes);
  }

  return { list, get, getModel, create, update, remove };
}
