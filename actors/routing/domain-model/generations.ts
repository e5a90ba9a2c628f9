// The lifecycle of a generation of cluster maps: under the cluster-wide generation lease, write
// a whole model as generation N+1, switch `domain.meta` to it, reconcile writes that raced the
// read, collect the nodes' acknowledgements, drop the old maps. Used by the bulk replace, the
// rebuild of missing maps (asked by the routing view) and the cluster rejoin.
import { errorText } from '../../../domain/errors.js';
import type { Logger } from '../../../domain/log.js';
import { forEachBounded } from '../../../domain/bounded.js';
import { phaseTimer, type PhaseTimer } from '../../../domain/phase-timer.js';
import { COLLECTION_NAMES } from '../../../domain/routing/entities.js';
import type { ChangedRecord, ModelChunk } from '../../../domain/routing/model-chunks.js';
import {
  DOMAIN_GENERATION_LEASE,
  DOMAIN_META_KEY,
  DOMAIN_META_MAP,
  DOMAIN_PREPARED_KEY,
  DOMAIN_SCHEMA_VERSION,
  destroyGeneration,
  readMeta,
  tombstoneOf,
  type DomainMapsMeta,
  type PreparedMeta,
  type WriterMarker,
} from '../cluster-maps.js';
import { DomainError } from '../errors.js';
import type { EnsureMapsOutcome, EnsureMapsRequest } from '../routing-view.js';
import { SnapshotWriter } from '../snapshot.js';
import { RECORD_READS, TrackedSnapshot, fillFromStoredSnapshot, type RecordState } from './tracked-snapshot.js';
import { collectAcks } from '../switch-acks.js';
import type { Change, DomainEnv } from './env.js';
import { writesRaced, type MapPublisher } from './map-publisher.js';
import type { RebuildReport, ReplaceModelResult } from './messages.js';
import { ValidationStream, prepareValidationWorker } from './validate-off-loop.js';
import { createSnapshotRenewal, type SnapshotRenewal } from './snapshot-renewal.js';

/**
 * A spare validation worker is booted this long after the node starts and after each bulk
 * replace, away from the start's and the replace's own work.
 */
export const SPARE_WORKER_DELAY_MS = 5000;

/** Records per scan batch (few round trips; FerretDB answers each batch from one query). */
const SCAN_BATCH = 5000;

/** A generation of the maps written but not switched to yet. */
interface PreparedGeneration {
  generation: number;
  /** The generation served when it was prepared (dropped after the switch). */
  previous: number | undefined;
  snapshot: TrackedSnapshot;
  summary: Awaited<ReturnType<SnapshotWriter['finish']>>;
  /** performance.now() when reading began, and when the maps were written. */
  started: number;
  written: number;
}

export interface Generations {
  /** Rebuilds the maps from MongoDB when they are missing (or `incompleteGeneration` is served). */
  ensureMaps(log: Logger, request: EnsureMapsRequest): Promise<EnsureMapsOutcome>;
  /** Rebuilds the maps from MongoDB as a new generation (the cluster rejoin). */
  rebuildMaps(log: Logger, reason: string): Promise<RebuildReport>;
  /** Validates `doc`, stores it as a new storage generation and writes its maps. */
  replaceModel(log: Logger, doc: unknown): Promise<ReplaceModelResult>;
  /** The stored snapshot's renewal (a long change log), under the generation lease. */
  renewal: SnapshotRenewal;
}

export function createGenerations(env: DomainEnv, publisher: MapPublisher): Generations {
  const { store, port, surviving, requireMongo, requireCluster } = env;
  const { applyChanges, markers } = publisher;
  const leaseTtlMs = env.leaseTtlMs;
  const ackTimeoutMs = env.ackTimeoutMs;

  async function withGenerationLease<R>(work: () => Promise<R>): Promise<R | undefined> {
    const holder = env.nodeName;
    if (!(await store.leases.acquire(DOMAIN_GENERATION_LEASE, holder, leaseTtlMs))) return undefined;
    const renew = setInterval(
      () => {
        void store.leases.renew(DOMAIN_GENERATION_LEASE, holder, leaseTtlMs).catch(() => false);
      },
      Math.max(100, Math.floor(leaseTtlMs / 3)),
    );
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
    const acks = await collectAcks(store).catch(() => undefined);
    return {
      async wait() {
        if (acks === undefined) return [];
        try {
          const { acked } = await acks.waitForAll(generation, [], ackTimeoutMs, {
            whenNoneLive: [env.nodeName],
            tolerateMembershipErrors: true,
          });
          return acked;
        } finally {
          await acks.close();
        }
      },
    };
  }

  /**
   * Writes a new generation of the maps (its snapshot fed by `fill`) without switching to it:
   * no node loads it before `switchGeneration`.
   */
  async function prepareGeneration(
    fill: (snapshot: TrackedSnapshot) => Promise<void>,
    /** When the caller began reading MongoDB (that read counts as load time). */
    readStartedAt?: number,
  ): Promise<PreparedGeneration> {
    const started = readStartedAt ?? performance.now();
    const meta = await readMeta(store);
    const generation = Math.max(meta?.generation ?? 0, env.servedGeneration(), surviving.lastWritten) + 1;
    surviving.lastWritten = generation;
    const snapshot = new TrackedSnapshot(new SnapshotWriter(store, generation));
    snapshot.readMs = performance.now() - started;
    try {
      await fill(snapshot);
      const summary = await snapshot.writer.finish();
      return { generation, previous: meta?.generation, snapshot, summary, started, written: performance.now() };
    } catch (err) {
      await destroyGeneration(store, generation).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Switches every node to a prepared generation, drops the old one. `markersBefore` (taken
   * before the records were read from MongoDB) turns on the reconcile pass when writes may have
   * raced that read; a bulk replace passes none (its model is the truth of a brand-new storage
   * generation, and writes into that generation wait for the switch).
   */
  async function switchGeneration(
    log: Logger,
    prepared: PreparedGeneration,
    storageGeneration: number,
    reason: string,
    source: RebuildReport['source'],
    markersBefore?: Map<string, WriterMarker>,
    logged?: number,
  ): Promise<RebuildReport> {
    const { generation, snapshot, summary, started, written } = prepared;
    const fromLog = source === 'stored snapshot';
    const switchStarted = performance.now();
    const acks = await ackCollector(generation);
    const next: DomainMapsMeta = {
      generation,
      storageGeneration,
      ...summary,
      switchedAt: new Date().toISOString(),
      by: env.nodeName,
      schema: DOMAIN_SCHEMA_VERSION,
    };
    if (!(await store.map<DomainMapsMeta>(DOMAIN_META_MAP).set(DOMAIN_META_KEY, next, generation))) {
      await acks.wait().catch(() => undefined);
      await destroyGeneration(store, generation);
      throw new DomainError('CONFLICT', 'Another node switched the domain model maps at the same time; try again.');
    }
    const switched = performance.now();
    if (markersBefore !== undefined && writesRaced(markersBefore, await markers().catch(() => new Map()))) {
      await reconcile(log, generation, storageGeneration, snapshot, fromLog);
    }
    const reconciled = performance.now();
    const acknowledgedBy = await acks.wait();
    const old = prepared.previous;
    if (old !== undefined && old !== generation) {
      // Every node moved on (or had time to): the old maps are garbage now.
      setTimeout(() => void destroyGeneration(store, old), 2000).unref();
    }
    const report: RebuildReport = {
      generation,
      storageGeneration,
      counts: next.counts,
      acknowledgedBy,
      source,
      ...(logged !== undefined ? { logged } : {}),
      timings: {
        loadMs: Math.round(snapshot.readMs),
        writeMs: Math.round(written - started - snapshot.readMs),
        switchMs: Math.round(switched - switchStarted),
        reconcileMs: Math.round(reconciled - switched),
        totalMs: Math.round(reconciled - started),
      },
    };
    log.info(
      { reason, source, generation, storageGeneration, counts: report.counts, chunks: summary.chunks, timings: report.timings },
      'domain model: new cluster map generation',
    );
    return report;
  }

  /**
   * Tells every node that `prepared` is written and about to be switched to, so each loads it
   * ahead while the writer still waits (best effort: a node that missed it loads at the switch).
   */
  async function announcePrepared(prepared: PreparedGeneration): Promise<void> {
    const entry: PreparedMeta = { generation: prepared.generation, ...prepared.summary, schema: DOMAIN_SCHEMA_VERSION };
    await store
      .map<PreparedMeta>(DOMAIN_META_MAP)
      .set(DOMAIN_PREPARED_KEY, entry, prepared.generation)
      .catch(() => false);
  }

  /** Ends the announcement: nodes drop a generation they loaded ahead and were not switched to. */
  async function withdrawPrepared(): Promise<void> {
    await store
      .map(DOMAIN_META_MAP)
      .delete(DOMAIN_PREPARED_KEY)
      .catch(() => undefined);
  }

  /** prepareGeneration, then switchGeneration (the rebuilds). */
  async function writeGeneration(
    log: Logger,
    fill: (snapshot: TrackedSnapshot) => Promise<void>,
    storageGeneration: number,
    reason: string,
    source: RebuildReport['source'],
    markersBefore?: Map<string, WriterMarker>,
    readStartedAt?: number,
    logged?: number,
  ): Promise<RebuildReport> {
    const prepared = await prepareGeneration(fill, readStartedAt);
    return switchGeneration(log, prepared, storageGeneration, reason, source, markersBefore, logged);
  }

  /**
   * Writes that raced a rebuild went to MongoDB after it was read. The ids whose state moved (or
   * that are gone) are found in the change log when the rebuild used the stored snapshot (every
   * write since the snapshot is named there), else by one projected scan; only those are read and put.
   */
  async function reconcile(
    log: Logger,
    generation: number,
    storageGeneration: number,
    written: TrackedSnapshot,
    fromLog: boolean,
  ): Promise<void> {
    try {
      const gen = await port.at();
      if (gen.generation !== storageGeneration) return;
      const changes: Change[] = [];
      const differs = (held: RecordState | undefined, now: RecordState): boolean =>
        held === undefined || held.version !== now.version || held.createdAt !== now.createdAt;
      const candidates: ChangedRecord[] = [];
      const vanished: Array<ChangedRecord & { held: RecordState }> = [];
      if (fromLog) candidates.push(...(await gen.loggedChanges()));
      else {
        for (const collection of COLLECTION_NAMES) {
          const before = new Map(written.states.get(collection));
          for await (const batch of gen.scan(collection, SCAN_BATCH, ['version', 'createdAt'])) {
            for (const now of batch) {
              if (differs(before.get(now.id), now)) candidates.push({ collection, id: now.id });
              before.delete(now.id);
            }
          }
          for (const [id, held] of before) vanished.push({ collection, id, held });
        }
      }
      await forEachBounded(candidates, RECORD_READS, async ({ collection, id }) => {
        const record = await gen.get(collection, id);
        const held = written.stateOf(collection, id);
        if (record !== null && differs(held, record)) changes.push({ collection, id, record });
        if (record === null && held !== undefined) vanished.push({ collection, id, held });
      });
      for (const { collection, id, held } of vanished) changes.push({ collection, id, tombstone: tombstoneOf({ id, ...held }) });
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
    const readStartedAt = performance.now();
    const gen = await port.at();
    const stored = await gen.storedSnapshot();
    if ('unusable' in stored) {
      log.info(
        { reason, why: stored.unusable },
        'domain model: rebuilding from a full scan of MongoDB (the stored snapshot is not usable)',
      );
      const scanAll = async (snapshot: TrackedSnapshot): Promise<void> => {
        for (const collection of COLLECTION_NAMES) {
          for await (const batch of gen.scan(collection, SCAN_BATCH)) await snapshot.add(collection, batch);
        }
      };
      return writeGeneration(log, scanAll, gen.generation, reason, 'full scan', before, readStartedAt);
    }
    log.info({ reason, chunks: stored.chunks.length, logged: stored.changed.length }, 'domain model: rebuilding from the stored snapshot');
    const fill = (snapshot: TrackedSnapshot): Promise<void> => fillFromStoredSnapshot(gen, stored, snapshot);
    return writeGeneration(log, fill, gen.generation, reason, 'stored snapshot', before, readStartedAt, stored.changed.length);
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
    if (report === undefined)
      throw new DomainError('CONFLICT', 'Another node is rebuilding or replacing the domain model right now; try again in a moment.');
    return report;
  }

  /**
   * The bulk replace (docs/routing.md, "Bulk load"): the records go into MongoDB's new storage
   * generation while the worker still validates them, the new cluster map generation is written
   * while MongoDB builds the indexes, and only once MongoDB switched is the new model served.
   * An invalid model drops both new generations unswitched and answers INVALID.
   */
  async function replaceModel(log: Logger, doc: unknown): Promise<ReplaceModelResult> {
    const timer = phaseTimer();
    const validation = new ValidationStream(doc);
    try {
      requireMongo();
      requireCluster();
      const result = await withGenerationLease(() => replaceUnderLease(log, validation, timer));
      if (result === undefined) {
        throw new DomainError('CONFLICT', 'Another node is rebuilding or replacing the domain model right now; try again in a moment.');
      }
      return result;
    } catch (err) {
      throw await validation.explain(err);
    } finally {
      validation.close();
      setTimeout(prepareValidationWorker, SPARE_WORKER_DELAY_MS).unref(); // for the next one
    }
  }

  async function replaceUnderLease(log: Logger, validation: ValidationStream, timer: PhaseTimer): Promise<ReplaceModelResult> {
    timer.lap('lease');
    let preparing: Promise<PreparedGeneration> | undefined;
    const prepareMaps = (chunks: readonly ModelChunk[]): void => {
      timer.lap('validate+insert');
      // The stored snapshot's chunks are this very model: copied, not stringified again.
      preparing = prepareGeneration(async (snapshot) => {
        for (const chunk of chunks) await snapshot.addChunk(chunk);
      }).then(async (prepared) => {
        await announcePrepared(prepared); // the nodes load it while MongoDB builds the indexes
        return prepared;
      });
      preparing.catch(() => undefined); // awaited after the switch in MongoDB
    };
    let stored: Awaited<ReturnType<typeof port.replaceAll>>;
    try {
      stored = await port.replaceAll(validation, { beforeIndexes: prepareMaps });
    } catch (err) {
      // Nothing switched: the prepared maps are garbage.
      void preparing
        ?.then(async (prepared) => {
          await withdrawPrepared();
          await destroyGeneration(store, prepared.generation);
        })
        .catch(() => undefined);
      throw err;
    }
    timer.lap('store');
    stored.lookupIndexes?.catch((err: unknown) =>
      log.warn({ err: errorText(err) }, 'domain model: building the look-up indexes after a bulk replace failed; a rejoin builds them'),
    );
    try {
      if (preparing === undefined) throw new Error('the cluster maps were not prepared');
      const report = await switchGeneration(log, await preparing, stored.storageGeneration, 'bulk replace', 'bulk replace');
      await withdrawPrepared();
      timer.lap('maps');
      log.debug(
        { phases: timer.result(), validateMs: validation.verdictMs, store: stored.timings, maps: report.timings },
        'domain model: bulk replace timings',
      );
      return { counts: stored.counts, storageGeneration: stored.storageGeneration, generation: report.generation };
    } catch (err) {
      // MongoDB has the new model; the maps follow with a rebuild from it.
      await withdrawPrepared();
      log.error({ err: errorText(err) }, 'domain model: replaced in MongoDB but writing the cluster maps failed; rebuilding them shortly');
      setTimeout(() => surviving.rebuildSelf?.('repair after a failed map write'), 2000).unref();
      return { counts: stored.counts, storageGeneration: stored.storageGeneration };
    }
  }

  setTimeout(prepareValidationWorker, SPARE_WORKER_DELAY_MS).unref();
  const renewal = createSnapshotRenewal(env, withGenerationLease, env.renewal);
  return { ensureMaps, rebuildMaps, replaceModel, renewal };
}
