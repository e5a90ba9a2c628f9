// Putting stored changes into the cluster maps of the generation being served, keeping the
// ones that failed for a repair once the cluster store is back, and the writer markers a
// rebuild uses to tell whether a write raced it (see DOMAIN_WRITERS_MAP).
import { forEachBounded } from '../../../domain/bounded.js';
import { errorText } from '../../../domain/errors.js';
import type { Logger } from '../../../domain/log.js';
import {
  DOMAIN_WRITERS_MAP,
  generationMap,
  isNewerState,
  readMeta,
  type DeltaValue,
  type DomainMapsMeta,
  type WriterMarker,
} from '../cluster-maps.js';
import type { Change, DomainEnv, DomainState } from './env.js';

const PUBLISH_CONCURRENCY = 16;
/** Lost only to a concurrent writer of the same record; more means something is badly wrong. */
const MAX_DELTA_ATTEMPTS = 16;
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

  function markPending(state: DomainState, changes: ReadonlyArray<Pick<Change, 'collection' | 'id'>>): void {
    for (const change of changes)
      state.pending.set(`${change.collection}\u0000${change.id}`, { collection: change.collection, id: change.id });
  }

  /**
   * Puts each change into the delta map of `generation` unless the map holds a newer state of
   * the record. The map's own version is a counter per key: record versions restart at 1 when
   * an id is created anew after a delete, so they cannot be the map's version.
   */
  async function applyChanges(generation: number, changes: readonly Change[]): Promise<void> {
    await forEachBounded(changes, PUBLISH_CONCURRENCY, async (change) => {
      const map = generationMap<DeltaValue>(store, generation, change.collection);
      const value: DeltaValue = change.record ?? change.tombstone;
      for (let attempt = 0; attempt < MAX_DELTA_ATTEMPTS; attempt++) {
        const held = await map.get(change.id);
        if (held !== undefined && !isNewerState(value, held.value)) return;
        if (await map.set(change.id, value, (held?.version ?? 0) + 1)) return;
      }
      throw new Error(`delta map of ${change.collection}: could not put "${change.id}" (too many concurrent writers)`);
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
        // Gone meanwhile: its last state is unknown, so the tombstone beats every state created before now.
        changes.push(
          record
            ? { collection, id, record }
            : { collection, id, tombstone: { id, deleted: true, createdAt: new Date().toISOString(), version: 0 } },
        );
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
