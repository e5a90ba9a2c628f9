// The domain-model actor (one per node, under the routing branch): owns writes of the redirect
// domain model. A write is validated against the stored model, written to MongoDB (the source
// of truth), then put into the cluster maps (versioned), then answered. Writes are handled one
// at a time; reads run detached so a slow query never holds the mailbox.
//
// It also writes whole generations of cluster maps (bulk replace, rebuild of missing maps,
// and the cluster rejoin): maps first, then the `domain.meta` switch, then a reconcile pass
// against MongoDB that catches writes which raced the rebuild.
import { v7 as uuidv7 } from 'uuid';
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  SERVER_MANAGED_FIELDS,
  emptyDomainModel,
  recordsOf,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type EntityTypes,
  type ModelKey,
} from '../../domain/redirect/entities.js';
import { applyPatch } from '../../domain/redirect/model-ops.js';
import { checkEntity, derivedFieldsFor, referencesTo, validateDomainModel } from '../../domain/redirect/validate.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import type { Logger } from '../../domain/log.js';
import { RESTART, type ActorSpec, type ReplyTo } from '../kernel/index.js';
import {
  DOMAIN_GENERATION_LEASE,
  DOMAIN_META_KEY,
  DOMAIN_META_MAP,
  DOMAIN_SCHEMA_VERSION,
  DOMAIN_SWITCH_TOPIC,
  DOMAIN_WRITERS_MAP,
  destroyGeneration,
  generationMap,
  readMeta,
  type DomainMapsMeta,
  type SwitchAck,
  type WriterMarker,
} from './cluster-maps.js';
import { DomainError, classifyStoreError, notFound, unavailable } from './errors.js';
import type { DomainGenerationPort, DomainModelPort, EntityPage, EqualityValue, StoredEntity } from './ports.js';
import type { EnsureMapsOutcome, EnsureMapsRequest } from './routing-actor.js';
import { scopeForDelete, scopeForDerived, scopeForWrite } from './scoped-model.js';

export const DOMAIN_ACTOR_NAME = 'domain-model';

export type EntityBody = Record<string, unknown>;
export type ModelCounts = Record<ModelKey, number>;

export interface ListQuery {
  /** Equality on known fields (the gateway checks the names); an id-list field matches when it contains the value. */
  filter: Record<string, EqualityValue>;
  limit: number;
  offset: number;
}

export interface ReplaceModelResult {
  counts: ModelCounts;
  storageGeneration: number;
  /** The cluster map generation now served (undefined when the maps could not be written yet). */
  generation?: number;
}

export interface RebuildReport {
  generation: number;
  storageGeneration: number;
  counts: ModelCounts;
  /** Nodes whose routing view loaded the new generation before the report was made. */
  acknowledgedBy: string[];
  timings: { loadMs: number; writeMs: number; switchMs: number; reconcileMs: number; totalMs: number };
}

/** One programme of an XMLTV document, already parsed (times in ISO-8601 UTC). */
export interface ProgramDraft {
  epgId: string;
  /** The XMLTV channel id: a LinearChannel.epgId. */
  channel: string;
  name: string;
  startDatetime: string;
  endDatetime: string;
}

export interface EpgSkip {
  channel?: string;
  epgId?: string;
  start?: string;
  reason: string;
}

export interface EpgReport {
  created: number;
  updated: number;
  unchanged: number;
  skippedCount: number;
  /** The first MAX_REPORTED_SKIPS skips with their reasons. */
  skipped: EpgSkip[];
}

export const MAX_REPORTED_SKIPS = 1000;

export type DomainMsg =
  | { type: 'list'; collection: CollectionName; query: ListQuery; replyTo: ReplyTo<EntityPage<AnyEntity>> }
  | { type: 'get'; collection: CollectionName; id: string; replyTo: ReplyTo<AnyEntity> }
  | { type: 'create'; collection: CollectionName; body: EntityBody; replyTo: ReplyTo<AnyEntity> }
  | { type: 'replace'; collection: CollectionName; id: string; body: EntityBody; replyTo: ReplyTo<AnyEntity> }
  | { type: 'patch'; collection: CollectionName; id: string; body: EntityBody; replyTo: ReplyTo<AnyEntity> }
  | { type: 'delete'; collection: CollectionName; id: string; replyTo: ReplyTo<void> }
  | { type: 'set-availability'; serverId: string; available: boolean; reason: string; replyTo: ReplyTo<void> }
  | { type: 'get-model'; replyTo: ReplyTo<DomainModel> }
  | { type: 'replace-model'; doc: unknown; replyTo: ReplyTo<ReplaceModelResult> }
  | { type: 'import-programs'; drafts: ProgramDraft[]; skipped: EpgSkip[]; replyTo: ReplyTo<EpgReport> }
  | { type: 'ensure-maps'; request: EnsureMapsRequest; replyTo: ReplyTo<EnsureMapsOutcome> }
  | { type: 'rebuild-maps'; reason: string; replyTo: ReplyTo<RebuildReport> }
  | { type: 'repair' };

export interface DomainActorDeps {
  port: DomainModelPort;
  store: ClusterStore;
  nodeName: string;
  /** The generation this node's routing view serves (a new generation is numbered above it). */
  servedGeneration(): number;
  /** False while MongoDB is known to be down: writes fail at once instead of after a timeout. */
  mongoAvailable?: () => boolean;
  newId?: () => string;
  leaseTtlMs?: number;
  /** How long a generation switch waits for the nodes' acknowledgements. */
  ackTimeoutMs?: number;
}

interface Change {
  collection: CollectionName;
  id: string;
  /** The stored record; absent for a delete. */
  record?: StoredEntity<CollectionName>;
}

interface DomainState {
  /** Records whose cluster map put failed: put again once the cluster store is back. */
  pending: Map<string, { collection: CollectionName; id: string }>;
}

const PUBLISH_CONCURRENCY = 16;
/** How long a write made in a brand-new storage generation waits for the maps of it. */
const SWITCH_WAIT_MS = 30_000;
const WRITE_CONCURRENCY = 8;
const MAX_WRITE_ATTEMPTS = 3;
const READ_ONLY = new Set<string>(SERVER_MANAGED_FIELDS);

type Rec = Record<string, unknown>;

/** Runs `work` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

function withoutFields(record: object, fields: Iterable<string>): Rec {
  const out: Rec = { ...(record as Rec) };
  for (const field of fields) delete out[field];
  return out;
}

/** A body without the fields the server owns (accepted, so a GET result can be sent back, and ignored). */
function bodyFields(collection: CollectionName, body: EntityBody): Rec {
  return withoutFields(body, [...READ_ONLY, ...COLLECTIONS[collection].derived]);
}

function storable<C extends CollectionName>(collection: C, record: object): EntityTypes[C] {
  return withoutFields(record, [...READ_ONLY, ...COLLECTIONS[collection].derived]) as unknown as EntityTypes[C];
}

function stripDerived(model: DomainModel): DomainModel {
  const out = emptyDomainModel();
  for (const collection of COLLECTION_NAMES) {
    const derived = COLLECTIONS[collection].derived;
    (out as unknown as Record<ModelKey, unknown[]>)[COLLECTIONS[collection].key] =
      derived.length === 0 ? recordsOf(model, collection) : recordsOf(model, collection).map((r) => withoutFields(r, derived));
  }
  return out;
}

function countsOf(model: DomainModel): ModelCounts {
  const counts = {} as ModelCounts;
  for (const collection of COLLECTION_NAMES) counts[COLLECTIONS[collection].key] = recordsOf(model, collection).length;
  return counts;
}

function checked<C extends CollectionName>(collection: C, candidate: Rec, scope: DomainModel): EntityTypes[C] {
  const result = checkEntity(collection, candidate, scope);
  if (result.ok) return result.record;
  throw new DomainError(result.status === 409 ? 'CONFLICT' : 'INVALID', result.message, result.errors);
}

function sameProgram(a: Rec, b: Rec): boolean {
  return (
    a.linearChannelId === b.linearChannelId &&
    a.name === b.name &&
    a.startDatetime === b.startDatetime &&
    a.endDatetime === b.endDatetime
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function domainActorSpec(deps: DomainActorDeps): ActorSpec<DomainState, DomainMsg> {
  const { port, store } = deps;
  const newId = deps.newId ?? uuidv7;
  const leaseTtlMs = deps.leaseTtlMs ?? 30_000;
  const ackTimeoutMs = deps.ackTimeoutMs ?? 5000;
  let cleanup: Array<() => Promise<void> | void> = [];
  /** Asks the running incarnation for a map rebuild (set by init). */
  let rebuildSelf: ((reason: string) => void) | undefined;
  /** The highest generation this node wrote (numbers never repeat even if domain.meta was lost). */
  let lastWritten = 0;
  let writeSeq = 0;
  // Marker versions only grow, across restarts too.
  let markerVersion = Date.now() * 1000;

  function requireMongo(): void {
    if (deps.mongoAvailable && !deps.mongoAvailable()) {
      throw unavailable('MongoDB', 'MongoDB is unavailable; the domain model cannot be read or changed right now. Try again later.');
    }
  }

  function requireCluster(): void {
    if (store.status() !== 'connected') {
      throw unavailable('cluster store', 'The cluster store (Hazelcast) is unavailable; try again later.');
    }
  }

  async function answer<R>(replyTo: ReplyTo<R>, log: Logger, collection: CollectionName | undefined, work: () => Promise<R>): Promise<void> {
    let result: R;
    try {
      result = await work();
    } catch (err) {
      const known = classifyStoreError(err, collection);
      if (!(known instanceof DomainError)) log.error({ err: { message: errorText(err) } }, 'domain model: unexpected failure');
      replyTo.fail(known instanceof Error ? known : new Error(errorText(known)));
      return;
    }
    replyTo.reply(result);
  }

  // ---- reads -----------------------------------------------------------------------------

  async function decorate<C extends CollectionName>(gen: DomainGenerationPort, collection: C, records: StoredEntity<C>[]): Promise<AnyEntity[]> {
    if (COLLECTIONS[collection].derived.length === 0) return records;
    const scope = await scopeForDerived(gen, collection, records.map((r) => r.id));
    return records.map((r) => ({ ...r, ...derivedFieldsFor(collection, r.id, scope) }) as AnyEntity);
  }

  async function list(collection: CollectionName, query: ListQuery): Promise<EntityPage<AnyEntity>> {
    requireMongo();
    const gen = await port.at();
    const page = await gen.list(collection, query.filter, { limit: query.limit, offset: query.offset });
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

  // ---- cluster map writes ------------------------------------------------------------------

  function markPending(state: DomainState, changes: readonly Change[]): void {
    for (const change of changes) state.pending.set(`${change.collection}\u0000${change.id}`, { collection: change.collection, id: change.id });
  }

  async function applyChanges(generation: number, changes: readonly Change[]): Promise<void> {
    await forEachLimited(changes, PUBLISH_CONCURRENCY, async (change) => {
      const map = generationMap<AnyEntity>(store, generation, change.collection);
      if (change.record) await map.set(change.id, change.record, change.record.version);
      else await map.delete(change.id);
    });
  }

  /**
   * Puts stored changes into the cluster maps of the generation being served. A generation
   * switch that raced the put is caught by the second meta read (or by the switch's reconcile
   * pass); a failure leaves the changes pending until the cluster store is back.
   */
  async function publish(state: DomainState, log: Logger, storageGeneration: number, changes: readonly Change[]): Promise<void> {
    if (changes.length === 0) return;
    if (store.status() !== 'connected') {
      markPending(state, changes);
      log.warn({ changes: changes.length }, 'domain model: stored in MongoDB; the cluster store is unavailable, the routing views follow once it is back');
      return;
    }
    try {
      let meta = await readMeta(store);
      // Missing maps are rebuilt from MongoDB (which has this change).
      if (meta === undefined) return;
      if (meta.storageGeneration < storageGeneration) {
        // A bulk replace created this storage generation and is writing its maps: wait for them.
        meta = await waitForStorageGeneration(storageGeneration);
        if (meta === undefined) throw new Error('the maps of the new storage generation did not appear');
      }
      // A superseded storage generation must never reach the maps.
      if (meta.storageGeneration !== storageGeneration) return;
      await applyChanges(meta.generation, changes);
      const after = await readMeta(store);
      if (after !== undefined && after.generation !== meta.generation && after.storageGeneration === storageGeneration) {
        await applyChanges(after.generation, changes);
      }
    } catch (err) {
      markPending(state, changes);
      log.warn({ err: errorText(err), changes: changes.length }, 'domain model: stored in MongoDB; putting it into the cluster maps failed, retrying later');
    }
  }

  async function repair(state: DomainState, log: Logger): Promise<void> {
    if (state.pending.size === 0 || store.status() !== 'connected') return;
    if (deps.mongoAvailable && !deps.mongoAvailable()) return;
    const items = [...state.pending.values()];
    state.pending.clear();
    try {
      const gen = await port.at();
      const changes: Change[] = [];
      for (const { collection, id } of items) {
        const record = await gen.get(collection, id);
        changes.push(record ? { collection, id, record } : { collection, id });
      }
      await publish(state, log, gen.generation, changes);
      log.info({ changes: changes.length }, 'domain model: pending cluster map updates applied');
    } catch (err) {
      markPending(state, items.map((i) => ({ ...i })));
      log.warn({ err: errorText(err) }, 'domain model: repairing the cluster maps failed; retrying later');
    }
  }

  async function mark(inflight: boolean): Promise<void> {
    if (store.status() !== 'connected') return;
    if (inflight) writeSeq++;
    markerVersion++;
    await store.map<WriterMarker>(DOMAIN_WRITERS_MAP).set(deps.nodeName, { seq: writeSeq, inflight }, markerVersion).catch(() => false);
  }

  /** Runs a write between "in progress" and "done" markers (see DOMAIN_WRITERS_MAP). */
  async function writing<R>(work: () => Promise<R>): Promise<R> {
    await mark(true);
    try {
      return await work();
    } finally {
      await mark(false);
    }
  }

  async function markers(): Promise<Map<string, WriterMarker>> {
    const entries = await store.map<WriterMarker>(DOMAIN_WRITERS_MAP).entries();
    return new Map(entries.map(([node, entry]) => [node, entry.value]));
  }

  /** True when a write may have run between the two snapshots. */
  function writesRaced(before: Map<string, WriterMarker>, after: Map<string, WriterMarker>): boolean {
    for (const [node, marker] of after) {
      const earlier = before.get(node);
      if (marker.inflight || earlier === undefined || earlier.inflight || earlier.seq !== marker.seq) return true;
    }
    return false;
  }

  async function waitForStorageGeneration(storageGeneration: number): Promise<DomainMapsMeta | undefined> {
    const deadline = Date.now() + SWITCH_WAIT_MS;
    for (;;) {
      const meta = await readMeta(store);
      if (meta !== undefined && meta.storageGeneration >= storageGeneration) return meta;
      if (Date.now() > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function withGenerationLease<R>(work: () => Promise<R>): Promise<R | undefined> {
    const holder = deps.nodeName;
    if (!(await store.leases.acquire(DOMAIN_GENERATION_LEASE, holder, leaseTtlMs))) return undefined;
    const renew = setInterval(() => {
      void store.leases.renew(DOMAIN_GENERATION_LEASE, holder, leaseTtlMs).catch(() => false);
    }, Math.max(100, Math.floor(leaseTtlMs / 3)));
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await store.leases.release(DOMAIN_GENERATION_LEASE, holder).catch(() => undefined);
    }
  }

  /** Collects switch acknowledgements for `generation` until every live node answered or time runs out. */
  async function ackCollector(generation: number): Promise<{ wait(): Promise<string[]> }> {
    const acked = new Set<string>();
    let wake: (() => void) | undefined;
    const unsubscribe = await store.topics
      .subscribe<SwitchAck>(DOMAIN_SWITCH_TOPIC, (ack) => {
        if (ack && ack.generation === generation && typeof ack.node === 'string') {
          acked.add(ack.node);
          wake?.();
        }
      })
      .catch(() => undefined);
    return {
      async wait() {
        const deadline = Date.now() + ackTimeoutMs;
        try {
          for (;;) {
            const live = await store.membership.nodes().catch(() => []);
            const expected = live.length > 0 ? live.map((n) => n.name) : [deps.nodeName];
            if (expected.every((name) => acked.has(name)) || Date.now() >= deadline) break;
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, Math.min(200, Math.max(1, deadline - Date.now()))).unref();
            });
          }
        } finally {
          await unsubscribe?.().catch(() => undefined);
        }
        return [...acked].sort();
      },
    };
  }

  /**
   * Writes `model` as a new generation of maps, switches every node to it, drops the old one.
   * `markersBefore` (taken before `model` was read from MongoDB) turns on the reconcile pass
   * when writes may have raced that read; a bulk replace passes none (its model is the truth
   * of a brand-new storage generation, and writes into that generation wait for the switch).
   */
  async function writeGeneration(
    log: Logger,
    model: DomainModel,
    storageGeneration: number,
    reason: string,
    loadMs: number,
    markersBefore?: Map<string, WriterMarker>,
  ): Promise<RebuildReport> {
    const started = performance.now();
    const meta = await readMeta(store);
    const generation = Math.max(meta?.generation ?? 0, deps.servedGeneration(), lastWritten) + 1;
    lastWritten = generation;
    for (const collection of COLLECTION_NAMES) {
      const entries = recordsOf(model, collection).map(
        (record): [string, { version: number; value: AnyEntity }] => [record.id, { version: record.version ?? 1, value: record }],
      );
      await generationMap<AnyEntity>(store, generation, collection).setAll(entries);
    }
    const written = performance.now();
    const acks = await ackCollector(generation);
    const next: DomainMapsMeta = {
      generation,
      storageGeneration,
      counts: countsOf(model),
      switchedAt: new Date().toISOString(),
      by: deps.nodeName,
      schema: DOMAIN_SCHEMA_VERSION,
    };
    if (!(await store.map<DomainMapsMeta>(DOMAIN_META_MAP).set(DOMAIN_META_KEY, next, generation))) {
      await acks.wait().catch(() => undefined);
      await destroyGeneration(store, generation);
      throw new DomainError('CONFLICT', 'Another node switched the domain model maps at the same time; try again.');
    }
    const switched = performance.now();
    if (markersBefore !== undefined && writesRaced(markersBefore, await markers().catch(() => new Map()))) {
      await reconcile(log, generation, storageGeneration, model);
    }
    const reconciled = performance.now();
    const acknowledgedBy = await acks.wait();
    if (meta !== undefined && meta.generation !== generation) {
      // Every node moved on (or had time to): the old maps are garbage now.
      const old = meta.generation;
      setTimeout(() => void destroyGeneration(store, old), 2000).unref();
    }
    const report: RebuildReport = {
      generation,
      storageGeneration,
      counts: next.counts,
      acknowledgedBy,
      timings: {
        loadMs: Math.round(loadMs),
        writeMs: Math.round(written - started),
        switchMs: Math.round(switched - written),
        reconcileMs: Math.round(reconciled - switched),
        totalMs: Math.round(reconciled - started + loadMs),
      },
    };
    log.info({ reason, generation, storageGeneration, counts: report.counts, timings: report.timings }, 'domain model: new cluster map generation');
    return report;
  }

  /** Writes that raced a rebuild went to MongoDB after it was read: put the differences. */
  async function reconcile(log: Logger, generation: number, storageGeneration: number, written: DomainModel): Promise<void> {
    try {
      const gen = await port.at();
      if (gen.generation !== storageGeneration) return;
      const fresh = await gen.loadModel();
      const changes: Change[] = [];
      for (const collection of COLLECTION_NAMES) {
        const before = new Map(recordsOf(written, collection).map((r) => [r.id, r.version]));
        for (const record of recordsOf(fresh, collection)) {
          if (before.get(record.id) !== record.version) changes.push({ collection, id: record.id, record: record as StoredEntity<CollectionName> });
          before.delete(record.id);
        }
        for (const id of before.keys()) changes.push({ collection, id });
      }
      if (changes.length > 0) {
        await applyChanges(generation, changes);
        log.info({ generation, changes: changes.length }, 'domain model: reconciled writes that raced the rebuild');
      }
    } catch (err) {
      log.warn({ err: errorText(err) }, 'domain model: reconcile after the switch failed');
    }
  }

  async function rebuildFromStore(log: Logger, reason: string): Promise<RebuildReport> {
    requireMongo();
    const before = await markers();
    const loadStarted = performance.now();
    const gen = await port.at();
    const model = await gen.loadModel();
    return writeGeneration(log, model, gen.generation, reason, performance.now() - loadStarted, before);
  }

  async function ensureMaps(log: Logger, request: EnsureMapsRequest): Promise<EnsureMapsOutcome> {
    if (store.status() !== 'connected') return 'unavailable';
    const satisfied = (meta: DomainMapsMeta | undefined): boolean =>
      meta !== undefined && (request.incompleteGeneration === undefined || meta.generation !== request.incompleteGeneration);
    if (satisfied(await readMeta(store))) return 'present';
    const outcome = await withGenerationLease(async (): Promise<EnsureMapsOutcome> => {
      if (satisfied(await readMeta(store))) return 'present';
      await rebuildFromStore(log, request.incompleteGeneration === undefined ? 'cluster maps missing' : 'cluster maps incomplete');
      return 'rebuilt';
    });
    return outcome ?? 'busy';
  }

  async function rebuildMaps(log: Logger, reason: string): Promise<RebuildReport> {
    requireCluster();
    const report = await withGenerationLease(() => rebuildFromStore(log, reason));
    if (report === undefined) throw new DomainError('CONFLICT', 'Another node is rebuilding or replacing the domain model right now; try again in a moment.');
    return report;
  }

  // ---- single-record writes ----------------------------------------------------------------

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
    await publish(state, log, gen.generation, [{ collection, id, record: stored }]);
    return { ...stored, ...derivedFieldsFor(collection, id, scope) } as AnyEntity;
  }

  /** PUT (whole record) and PATCH (some fields): merged onto the stored record, checked, written if unchanged meanwhile. */
  async function update(
    state: DomainState,
    log: Logger,
    collection: CollectionName,
    id: string,
    body: EntityBody,
    mode: 'replace' | 'patch',
  ): Promise<AnyEntity> {
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
        mode === 'patch' ? bodyFields(collection, applyPatch(collection, storable(collection, current), body)) : { ...bodyFields(collection, body), id };
      const scope = await scopeForWrite(gen, collection, candidate, current as unknown as Rec);
      const record = checked(collection, candidate, scope);
      let stored: StoredEntity<CollectionName>;
      try {
        stored = await gen.replace(collection, storable(collection, record), { version: current.version, createdAt: current.createdAt });
      } catch (err) {
        // Someone else changed it between our read and our write: judge the new state.
        if ((err as { code?: unknown }).code === 'VERSION_CONFLICT' && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw err;
      }
      await publish(state, log, gen.generation, [{ collection, id, record: stored }]);
      return { ...stored, ...derivedFieldsFor(collection, id, scope) } as AnyEntity;
    }
  }

  /** Removes `id` from the list `field` of record `referrer` (a delete's "pull"). */
  async function pull(gen: DomainGenerationPort, collection: CollectionName, referrer: string, field: string, id: string): Promise<Change | undefined> {
    for (let attempt = 1; ; attempt++) {
      const record = await gen.get(collection, referrer);
      if (record === null) return undefined;
      const list = (record as unknown as Rec)[field];
      if (!Array.isArray(list) || !list.includes(id)) return undefined;
      const changed = { ...storable(collection, record), [field]: list.filter((v) => v !== id) } as EntityTypes[CollectionName];
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
    changes.push({ collection, id });
    await publish(state, log, gen.generation, changes);
  }

  // ---- whole model -------------------------------------------------------------------------

  async function replaceModel(log: Logger, doc: unknown): Promise<ReplaceModelResult> {
    const validation = validateDomainModel(doc);
    if (!validation.ok) {
      const count = validation.errors.length;
      const first = validation.errors
        .slice(0, 3)
        .map((e) => `${e.path} ${e.message}`)
        .join('; ');
      throw new DomainError('INVALID', `The domain model is invalid (${count} problem${count === 1 ? '' : 's'}): ${first}${count > 3 ? '; …' : ''}. Nothing was changed.`, validation.errors);
    }
    requireMongo();
    requireCluster();
    const result = await withGenerationLease(async (): Promise<ReplaceModelResult> => {
      const stored = await port.replaceAll(stripDerived(validation.model));
      try {
        const report = await writeGeneration(log, stored.model, stored.storageGeneration, 'bulk replace', 0);
        return { counts: stored.counts, storageGeneration: stored.storageGeneration, generation: report.generation };
      } catch (err) {
        // MongoDB has the new model; the maps follow with a rebuild from it.
        log.error({ err: errorText(err) }, 'domain model: replaced in MongoDB but writing the cluster maps failed; rebuilding them shortly');
        setTimeout(() => rebuildSelf?.('repair after a failed map write'), 2000).unref();
        return { counts: stored.counts, storageGeneration: stored.storageGeneration };
      }
    });
    if (result === undefined) {
      throw new DomainError('CONFLICT', 'Another node is rebuilding or replacing the domain model right now; try again in a moment.');
    }
    return result;
  }

  async function importPrograms(state: DomainState, log: Logger, drafts: readonly ProgramDraft[], parsedSkips: readonly EpgSkip[]): Promise<EpgReport> {
    requireMongo();
    const gen = await port.at();
    const [channels, programs] = await Promise.all([gen.findAll('linear-channels'), gen.findAll('programs')]);
    const channelByEpgId = new Map(channels.map((c) => [c.epgId, c]));
    const programByEpgId = new Map(programs.map((p) => [p.epgId, p]));
    const skipped: EpgSkip[] = [...parsedSkips];
    const report: EpgReport = { created: 0, updated: 0, unchanged: 0, skippedCount: 0, skipped: [] };
    const seen = new Set<string>();
    const writes: Array<{ existing: StoredEntity<'programs'> | undefined; record: EntityTypes['programs'] }> = [];

    for (const draft of drafts) {
      const where = { channel: draft.channel, epgId: draft.epgId, start: draft.startDatetime };
      const channel = channelByEpgId.get(draft.channel);
      if (!channel) {
        skipped.push({ ...where, reason: `unknown channel: no linear channel has epgId "${draft.channel}"` });
        continue;
      }
      if (seen.has(draft.epgId)) {
        skipped.push({ ...where, reason: 'the document lists this programme twice' });
        continue;
      }
      seen.add(draft.epgId);
      const existing = programByEpgId.get(draft.epgId);
      const candidate: Rec = {
        id: existing?.id ?? newId(),
        linearChannelId: channel.id,
        epgId: draft.epgId,
        name: draft.name,
        startDatetime: draft.startDatetime,
        endDatetime: draft.endDatetime,
      };
      if (existing && sameProgram(existing as unknown as Rec, candidate)) {
        report.unchanged++;
        continue;
      }
      const scope = { ...emptyDomainModel(), linearChannels: [channel], programs: existing ? [existing] : [] };
      const result = checkEntity('programs', candidate, scope);
      if (!result.ok) {
        skipped.push({ ...where, reason: result.message });
        continue;
      }
      writes.push({ existing, record: storable('programs', result.record) });
    }

    const changes: Change[] = [];
    await forEachLimited(writes, WRITE_CONCURRENCY, async ({ existing, record }) => {
      try {
        const stored = existing
          ? await gen.replace('programs', record, { version: existing.version, createdAt: existing.createdAt })
          : await gen.insert('programs', record);
        changes.push({ collection: 'programs', id: stored.id, record: stored as StoredEntity<CollectionName> });
        if (existing) report.updated++;
        else report.created++;
      } catch (err) {
        const known = classifyStoreError(err, 'programs');
        if (!(known instanceof DomainError) || known.code === 'UNAVAILABLE') throw known;
        skipped.push({ channel: record.linearChannelId, epgId: record.epgId, start: record.startDatetime, reason: known.message });
      }
    });
    await publish(state, log, gen.generation, changes);
    report.skippedCount = skipped.length;
    report.skipped = skipped.slice(0, MAX_REPORTED_SKIPS);
    return report;
  }

  return {
    name: DOMAIN_ACTOR_NAME,
    restart: RESTART.owner,
    async init(ctx) {
      await Promise.all(cleanup.splice(0).map(async (fn) => fn()));
      const off = store.onStatus((status) => {
        if (status === 'connected') ctx.self.tell({ type: 'repair' });
      });
      const retry = setInterval(() => ctx.self.tell({ type: 'repair' }), 5000);
      retry.unref();
      cleanup = [off, () => clearInterval(retry)];
      rebuildSelf = (reason) => {
        const ignore = { correlationId: 0, reply: () => undefined, fail: () => undefined };
        ctx.self.tell({ type: 'rebuild-maps', reason, replyTo: ignore });
      };
      return { pending: new Map() };
    },
    async handle(state, message, ctx) {
      const log = ctx.log;
      switch (message.type) {
        case 'list':
          void answer(message.replyTo, log, message.collection, () => list(message.collection, message.query));
          return state;
        case 'get':
          void answer(message.replyTo, log, message.collection, () => get(message.collection, message.id));
          return state;
        case 'get-model':
          void answer(message.replyTo, log, undefined, () => getModel());
          return state;
        case 'create':
          await answer(message.replyTo, log, message.collection, () => writing(() => create(state, log, message.collection, message.body)));
          return state;
        case 'replace':
          await answer(message.replyTo, log, message.collection, () => writing(() => update(state, log, message.collection, message.id, message.body, 'replace')));
          return state;
        case 'patch':
          await answer(message.replyTo, log, message.collection, () => writing(() => update(state, log, message.collection, message.id, message.body, 'patch')));
          return state;
        case 'delete':
          await answer(message.replyTo, log, message.collection, () => writing(() => remove(state, log, message.collection, message.id)));
          return state;
        case 'set-availability':
          await answer(message.replyTo, log, 'servers', () =>
            writing(async () => {
              await update(state, log, 'servers', message.serverId, { availability: message.available }, 'patch');
              log.info({ serverId: message.serverId, available: message.available, reason: message.reason }, 'server availability changed');
            }),
          );
          return state;
        case 'replace-model':
          await answer(message.replyTo, log, undefined, () => replaceModel(log, message.doc));
          return state;
        case 'import-programs':
          await answer(message.replyTo, log, 'programs', () => writing(() => importPrograms(state, log, message.drafts, message.skipped)));
          return state;
        case 'ensure-maps':
          await answer(message.replyTo, log, undefined, () => ensureMaps(log, message.request));
          return state;
        case 'rebuild-maps':
          await answer(message.replyTo, log, undefined, () => rebuildMaps(log, message.reason));
          return state;
        case 'repair':
          await repair(state, log);
          return state;
      }
    },
    async onStop() {
      rebuildSelf = undefined;
      await Promise.all(cleanup.splice(0).map(async (fn) => fn()));
    },
  };
}
