// Putting stored changes into the cluster maps of the generation being served, keeping the
// ones that failed for a repair once the cluster store is back, and the writer markers a
// rebuild uses to tell whether a write raced it (see DOMAIN_WRITERS_MAP).
import { forEachBounded } from '../../../domain/bounded.js';
import { errorText } from '../../../domain/errors.js';
import type { Logger } from '../../../domain/log.js';
import type { AnyEntity } from '../../../domain/routing/entities.js';
import { DOMAIN_WRITERS_MAP, generationMap, readMeta, type DomainMapsMeta, type WriterMarker } from '../cluster-maps.js';
import type { Change, DomainEnv, DomainState } from './env.js';

const PUBLISH_CONCURRENCY = 16;
/** How long a write made in a brand-new storage generation waits for the maps of it. */
const SWITCH_WAIT_MS = 30_000;

export interface MapPublisher {
  /** Puts `changes` (stored in `storageGeneration`) into the served maps, or keeps them pending. */
  readonly publish: (state: DomainState, log: Logger, storageGeneration: number, changes: readonly Change[]) => Promise<void>;
  /** Puts the pending changes again, read fresh from MongoDB. */
  readonly repair: (state: DomainState, log: Logger) => Promise<void>;
  /** Puts `changes` into the maps of `generation` as they are. */
  readonly applyChanges: (generation: number, changes: readonly Change[]) => Promise<void>;
  /** Runs a write between "in progress" and "done" markers. */
  readonly writing: <R>(work: () => Promise<R>) => Promise<R>;
  /** Every node's writer marker. */
  readonly markers: () => Promise<Map<string, WriterMarker>>;
}

/** True when a write may have run between the two snapshots of the writer markers. */
export function writesRaced(before: Map<string, WriterMarker>, after: Map<string, WriterMarker>): boolean {
  for (const [node, marker] of after) {
    const earlier = before.get(node);
    if (marker.inflight || earlier === undefined || earlier.inflight || earlier.seq !== marker.seq) return true;
  }
  return false;
}

export function createMapPublisher(env: DomainEnv): MapPublisher {
  const { store, port, surviving } = env;

  function markPending(state: DomainState, changes: readonly Change[]): void {
    for (const change of changes)
      state.pending.set(`${change.collection}\u0000${change.id}`, { collection: change.collection, id: change.id });
  }

  async function applyChanges(generation: number, changes: readonly Change[]): Promise<void> {
    await forEachBounded(changes, PUBLISH_CONCURRENCY, async (change) => {
      const map = generationMap<AnyEntity>(store, generation, change.collection);
      if (change.record) await map.set(change.id, change.record, change.record.version);
      else await map.delete(change.id);
    });
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

  /**
   * A generation switch that raced the put is caught by the second meta read (or by the
   * switch's reconcile pass); a failure leaves the changes pending until the cluster store is back.
   */
  async function publish(state: DomainState, log: Logger, storageGeneration: number, changes: readonly Change[]): Promise<void> {
    if (changes.length === 0) return;
    if (store.status() !== 'connected') {
      markPending(state, changes);
      log.warn(
        { changes: changes.length },
        'domain model: stored in MongoDB; the cluster store is unavailable, the routing views follow once it is back',
      );
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
      log.warn(
        { err: errorText(err), changes: changes.length },
        'domain model: stored in MongoDB; putting it into the cluster maps failed, retrying later',
      );
    }
  }

  async function repair(state: DomainState, log: Logger): Promise<void> {
    if (state.pending.size === 0 || store.status() !== 'connected') return;
    if (!env.mongoUp()) return;
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
      markPending(
        state,
        items.map((i) => ({ ...i })),
      );
      log.warn({ err: errorText(err) }, 'domain model: repairing the cluster maps failed; retrying later');
    }
  }

  async function mark(inflight: boolean): Promise<void> {
    if (store.status() !== 'connected') return;
    if (inflight) surviving.writeSeq++;
    surviving.markerVersion++;
    await store
      .map<WriterMarker>(DOMAIN_WRITERS_MAP)
      .set(env.nodeName, { seq: surviving.writeSeq, inflight }, surviving.markerVersion)
      .catch(() => false);
  }

  return {
    publish,
    repair,
    applyChanges,
    writing: async (work) => {
      await mark(true);
      try {
        return await work();
      } finally {
        await mark(false);
      }
    },
    markers: async () => {
      const entries = await store.map<WriterMarker>(DOMAIN_WRITERS_MAP).entries();
      return new Map(entries.map(([node, entry]) => [node, entry.value]));
    },
  };
}
