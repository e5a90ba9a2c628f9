// The routing actor (one per node): owns the node's routing view. It follows `domain.meta`
// to the generation of cluster maps every node serves, loads that generation, applies map
// events (stale versions ignored), rebuilds the view after a short quiet period (bursts
// coalesce) and swaps the immutable snapshot into the RoutingViewHolder. When the maps are
// missing (fresh or restarted Hazelcast) it asks the domain-model actor to rebuild them from
// MongoDB; after a cluster reconnect it reloads. Meanwhile the last view keeps serving.
// A generation announced as prepared (a bulk replace waiting for MongoDB's indexes) is loaded
// ahead into a standby and swapped in the moment `current` names it.
import { getHeapStatistics } from 'node:v8';
import { COLLECTION_NAMES, type CollectionName } from '../../domain/routing/entities.js';
import type { ClusterStatus, ClusterStore, MapChange, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { RESTART, type ActorContext, type ActorSpec } from '../kernel/index.js';
import {
  DOMAIN_META_KEY,
  DOMAIN_META_MAP,
  DOMAIN_PREPARED_KEY,
  DOMAIN_SWITCH_TOPIC,
  generationMap,
  metaFromChange,
  preparedFromChange,
  readMeta,
  type DomainMapsMeta,
  type PreparedMeta,
  type SwitchAck,
  type ViewLoadTimings,
} from './cluster-maps.js';
import { ModelMirror } from './model-mirror.js';
import type { RoutingViewHolder } from './view-holder.js';
import { buildRoutingViewSliced, updateRoutingViewSliced, type RoutingView } from './view.js';
import { runSliced, sliceClock } from './slices.js';
import { readSnapshot, SnapshotIncomplete, type SnapshotSummary } from './snapshot.js';
import { errorText } from '../../domain/errors.js';

export const ROUTING_VIEW_ACTOR_NAME = 'routing-view';

/** What the routing actor asks the domain-model actor when the maps are missing or incomplete. */
export interface EnsureMapsRequest {
  /** Set when this generation's maps turned out empty although its meta counts records. */
  incompleteGeneration?: number;
}
export type EnsureMapsOutcome = 'present' | 'rebuilt' | 'busy' | 'unavailable';

export interface RoutingTiming {
  /** Quiet period before a rebuild: events within it are applied in one rebuild. */
  rebuildDelayMs: number;
  /** First retry after a failed load (doubles up to maxRetryMs). */
  retryMs: number;
  maxRetryMs: number;
  /** How often the actor re-reads `domain.meta`, in case an event was missed. */
  checkIntervalMs: number;
  /** Longest stretch of loading or building before the event loop is given back. */
  sliceMs: number;
  /** Idle time after each slice, so a load or build leaves the serving thread CPU to run on. */
  restMs: number;
}

export const DEFAULT_ROUTING_TIMING: RoutingTiming = {
  rebuildDelayMs: 25,
  retryMs: 250,
  maxRetryMs: 5000,
  checkIntervalMs: 5000,
  sliceMs: 2,
  restMs: 4,
};

/**
 * A standby holds a second copy of the model next to the served one: a node loads ahead only
 * while its used heap is at most this share of its limit (the copy then fits with room to
 * spare); otherwise it loads at the switch, as without a standby.
 */
export const DEFAULT_STANDBY_HEAP_SHARE = 0.35;

export interface RoutingViewDeps {
  store: ClusterStore;
  holder: RoutingViewHolder;
  nodeName: string;
  ensureMaps(request: EnsureMapsRequest): Promise<EnsureMapsOutcome>;
  timing?: Partial<RoutingTiming>;
  /** Called after every swap (metrics). */
  onSwap?(info: { generation: number; buildMs: number; records: number }): void;
  /** Overrides DEFAULT_STANDBY_HEAP_SHARE (0: never load ahead). */
  standbyHeapShare?: number;
  /** Called when a prepared generation was loaded ahead of its switch. */
  onPreload?(info: { generation: number } & ViewLoadTimings): void;
}

/** All of them its own: cluster map events, timers and the answers of its asks (no public messages). */
type RoutingViewSelfMsg =
  | { type: 'load'; reason: string }
  | { type: 'meta'; meta: DomainMapsMeta | undefined }
  | { type: 'prepared'; prepared: PreparedMeta | undefined }
  | { type: 'change'; generation: number; collection: CollectionName; change: MapChange<unknown> }
  | { type: 'rebuild' }
  | { type: 'status'; status: ClusterStatus }
  | { type: 'ensured'; outcome: EnsureMapsOutcome | 'failed' };

/** A generation loaded ahead of its switch. */
interface Standby {
  generation: number;
  /** The snapshot's hash: a `current` naming the generation with another one is not this load. */
  hash: string;
  mirror: ModelMirror;
  view: RoutingView;
  subscriptions: Unsubscribe[];
  timings: ViewLoadTimings;
}

/** A generation's snapshot read into a new mirror, its delta maps listened to. */
interface ReadGeneration {
  mirror: ModelMirror;
  subscriptions: Unsubscribe[];
  readMs: number;
}

interface RoutingState {
  generation: number | undefined;
  mirror: ModelMirror;
  /** Listeners on the current generation's maps. */
  subscriptions: Unsubscribe[];
  dirty: boolean;
  /** Collections changed since `built` was built. */
  changed: Set<CollectionName>;
  /** The last view built from `mirror` (undefined right after a generation switch). */
  built: RoutingView | undefined;
  rebuildTimer: NodeJS.Timeout | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  retryMs: number;
  ensuring: boolean;
  lastStatus: ClusterStatus;
  standby: Standby | undefined;
}

async function unsubscribeAll(subscriptions: Unsubscribe[]): Promise<void> {
  await Promise.all(subscriptions.map((unsubscribe) => unsubscribe().catch(() => undefined)));
}

export function routingViewSpec(deps: RoutingViewDeps): ActorSpec<RoutingState, RoutingViewSelfMsg> {
  const timing: RoutingTiming = { ...DEFAULT_ROUTING_TIMING, ...deps.timing };
  const { store, holder } = deps;
  // Listeners and timers of the running incarnation. A crash skips onStop, so the next init
  // cleans up what the crashed one left behind.
  let cleanup: Array<() => Promise<void> | void> = [];

  async function runCleanup(): Promise<void> {
    const pending = cleanup;
    cleanup = [];
    await Promise.all(pending.map(async (fn) => fn()));
  }

  function scheduleRetry(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>, reason: string): void {
    if (state.retryTimer !== undefined) return;
    const delay = state.retryMs;
    state.retryMs = Math.min(state.retryMs * 2, timing.maxRetryMs);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      ctx.self.tell({ type: 'load', reason });
    }, delay);
    state.retryTimer.unref();
  }

  function requestEnsure(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>, request: EnsureMapsRequest): void {
    if (state.ensuring) return;
    state.ensuring = true;
    deps.ensureMaps(request).then(
      (outcome) => ctx.self.tell({ type: 'ensured', outcome }),
      (error: unknown) => {
        ctx.log.warn({ err: errorText(error) }, 'routing: rebuilding the cluster maps failed');
        ctx.self.tell({ type: 'ensured', outcome: 'failed' });
      },
    );
  }

  async function buildFresh(mirror: ModelMirror, generation: number): Promise<RoutingView> {
    const model = await runSliced(mirror.toModelSteps(), timing.sliceMs, timing.restMs);
    return buildRoutingViewSliced(model, generation, timing.sliceMs, timing.restMs);
  }

  /** Builds the view in slices (the old one serves meanwhile) and swaps it in whole. */
  async function rebuildNow(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>): Promise<void> {
    if (state.rebuildTimer !== undefined) clearTimeout(state.rebuildTimer);
    state.rebuildTimer = undefined;
    state.dirty = false;
    const generation = state.generation;
    if (generation === undefined) return;
    const changed = state.changed;
    state.changed = new Set();
    const previous = state.built?.generation === generation ? state.built : undefined;
    try {
      let view: RoutingView;
      if (previous === undefined) {
        view = await buildFresh(state.mirror, generation);
      } else {
        // Single-record changes: only the parts of the view that read a changed collection are rebuilt.
        const model = await runSliced(state.mirror.toModelSteps({ model: previous.model, changed }), timing.sliceMs, timing.restMs);
        view = await updateRoutingViewSliced(previous, model, generation, changed, timing.sliceMs, timing.restMs);
      }
      state.built = view;
      holder.swap(view);
      deps.onSwap?.({ generation, buildMs: view.stats.buildMs, records: state.mirror.size });
    } catch (error) {
      // A view that cannot be built must not take the last good one down with it; the next
      // build starts from scratch.
      state.built = undefined;
      ctx.log.error({ err: errorText(error) }, 'routing: building the view failed; keeping the previous one');
    }
  }

  function scheduleRebuild(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>): void {
    state.dirty = true;
    if (state.rebuildTimer !== undefined) return;
    state.rebuildTimer = setTimeout(() => {
      state.rebuildTimer = undefined;
      ctx.self.tell({ type: 'rebuild' });
    }, timing.rebuildDelayMs);
    state.rebuildTimer.unref();
  }

  /** Listens to a generation's delta maps (first: an event racing the read is applied after it, by version), then reads its snapshot. */
  async function readGeneration(
    ctx: ActorContext<RoutingViewSelfMsg>,
    generation: number,
    summary: SnapshotSummary,
  ): Promise<ReadGeneration> {
    const subscriptions: Unsubscribe[] = [];
    try {
      for (const collection of COLLECTION_NAMES) {
        subscriptions.push(
          await generationMap(store, generation, collection).onChange((change) =>
            ctx.self.tell({ type: 'change', generation, collection, change }),
          ),
        );
      }
      const started = performance.now();
      const mirror = new ModelMirror();
      await readSnapshot(
        store,
        generation,
        summary,
        (collection, records) => mirror.addRecords(collection, records),
        sliceClock(timing.sliceMs, timing.restMs),
      );
      await applyDeltas(generation, mirror);
      return { mirror, subscriptions, readMs: performance.now() - started };
    } catch (error) {
      await unsubscribeAll(subscriptions);
      throw error;
    }
  }

  /** Applies the generation's delta maps to `mirror`; returns the collections that changed. */
  async function applyDeltas(generation: number, mirror: ModelMirror): Promise<Set<CollectionName>> {
    const deltas = await Promise.all(COLLECTION_NAMES.map((collection) => generationMap(store, generation, collection).entries()));
    const changed = new Set<CollectionName>();
    COLLECTION_NAMES.forEach((collection, i) => {
      for (const [key, entry] of deltas[i] ?? []) {
        if (mirror.apply(collection, { type: 'set', key, version: entry.version, value: entry.value })) changed.add(collection);
      }
    });
    return changed;
  }

  /** Makes a read generation the node's own: its listeners, its mirror; the old listeners go. */
  async function adopt(state: RoutingState, generation: number, read: Pick<ReadGeneration, 'mirror' | 'subscriptions'>): Promise<void> {
    const previous = state.subscriptions;
    state.subscriptions = read.subscriptions;
    state.generation = generation;
    state.mirror = read.mirror;
    state.built = undefined;
    state.changed = new Set();
    state.retryMs = timing.retryMs;
    await unsubscribeAll(previous);
  }

  /** Tells the writer (and the rejoin job) that this node serves `generation` now. */
  async function announceSwitch(
    ctx: ActorContext<RoutingViewSelfMsg>,
    state: RoutingState,
    reason: string,
    timings: ViewLoadTimings,
  ): Promise<void> {
    const generation = state.generation;
    ctx.log.info({ generation, records: state.mirror.size, reason, timings }, 'routing: view loaded');
    if (generation === undefined) return;
    const ack: SwitchAck = { node: deps.nodeName, generation, timings };
    await store.topics.publish(DOMAIN_SWITCH_TOPIC, ack).catch(() => undefined);
  }

  async function dropStandby(state: RoutingState): Promise<void> {
    const standby = state.standby;
    state.standby = undefined;
    if (standby !== undefined) await unsubscribeAll(standby.subscriptions);
  }

  /** Loads a prepared generation into the standby (the served view is untouched). */
  async function preload(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>, prepared: PreparedMeta): Promise<void> {
    await dropStandby(state);
    const { generation } = prepared;
    const heap = getHeapStatistics();
    if (heap.used_heap_size > (deps.standbyHeapShare ?? DEFAULT_STANDBY_HEAP_SHARE) * heap.heap_size_limit) {
      ctx.log.info(
        { generation, heapUsedMiB: Math.round(heap.used_heap_size / 2 ** 20), heapLimitMiB: Math.round(heap.heap_size_limit / 2 ** 20) },
        'routing: no heap room to load a prepared generation ahead; it loads at its switch',
      );
      return;
    }
    try {
      const read = await readGeneration(ctx, generation, prepared);
      try {
        const built = performance.now();
        const view = await buildFresh(read.mirror, generation);
        const timings: ViewLoadTimings = {
          readMs: Math.round(read.readMs),
          buildMs: Math.round(performance.now() - built),
          preloaded: true,
        };
        state.standby = { generation, hash: prepared.hash, mirror: read.mirror, view, subscriptions: read.subscriptions, timings };
        ctx.log.info({ generation, records: read.mirror.size, timings }, 'routing: loaded a prepared generation ahead of its switch');
        deps.onPreload?.({ generation, ...timings });
      } catch (error) {
        await unsubscribeAll(read.subscriptions);
        throw error;
      }
    } catch (error) {
      // Not served and not asked to be rebuilt: it is not current. It loads afresh if switched to.
      ctx.log.info({ generation, err: errorText(error) }, 'routing: could not load a prepared generation ahead; it loads at its switch');
    }
  }

  /** Serves the standby loaded ahead for `meta`: only the deltas written since are applied. */
  async function switchToStandby(
    state: RoutingState,
    ctx: ActorContext<RoutingViewSelfMsg>,
    standby: Standby,
    reason: string,
  ): Promise<void> {
    const { generation } = standby;
    state.standby = undefined;
    let changed: Set<CollectionName>;
    try {
      changed = await applyDeltas(generation, standby.mirror);
    } catch (error) {
      await unsubscribeAll(standby.subscriptions);
      throw error;
    }
    await adopt(state, generation, standby);
    state.built = standby.view;
    if (changed.size > 0) {
      state.changed = changed;
      await rebuildNow(state, ctx);
    } else {
      holder.swap(standby.view);
      deps.onSwap?.({ generation, buildMs: standby.view.stats.buildMs, records: state.mirror.size });
    }
    await announceSwitch(ctx, state, reason, standby.timings);
  }

  /** Loads generation `meta.generation` completely (or takes it from the standby), then makes it the served one. */
  async function switchTo(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>, meta: DomainMapsMeta, reason: string): Promise<void> {
    const generation = meta.generation;
    const standby = state.standby;
    if (standby !== undefined && (standby.generation !== generation || standby.hash !== meta.hash)) await dropStandby(state);
    try {
      if (state.standby !== undefined) {
        await switchToStandby(state, ctx, state.standby, reason);
        return;
      }
      const read = await readGeneration(ctx, generation, meta);
      const built = performance.now();
      await adopt(state, generation, read);
      await rebuildNow(state, ctx);
      await announceSwitch(ctx, state, reason, { readMs: Math.round(read.readMs), buildMs: Math.round(performance.now() - built) });
    } catch (error) {
      if (error instanceof SnapshotIncomplete) {
        // A writer died mid-write or a member lost data: never serve that generation.
        ctx.log.warn(
          { generation, err: error.message },
          'routing: the snapshot of the current generation is incomplete; asking for a rebuild',
        );
        requestEnsure(state, ctx, { incompleteGeneration: generation });
        scheduleRetry(state, ctx, 'maps incomplete');
        return;
      }
      ctx.log.warn({ generation, err: errorText(error) }, 'routing: loading the cluster maps failed; retrying');
      scheduleRetry(state, ctx, 'load failed');
    }
  }

  async function load(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>, reason: string, force: boolean): Promise<void> {
    if (store.status() !== 'connected') {
      scheduleRetry(state, ctx, reason);
      return;
    }
    let meta: DomainMapsMeta | undefined;
    try {
      meta = await readMeta(store);
    } catch (error) {
      ctx.log.warn({ err: errorText(error) }, 'routing: reading domain.meta failed; retrying');
      scheduleRetry(state, ctx, reason);
      return;
    }
    if (meta === undefined) {
      requestEnsure(state, ctx, {});
      scheduleRetry(state, ctx, 'maps missing');
      return;
    }
    if (force || meta.generation !== state.generation) await switchTo(state, ctx, meta, reason);
  }

  return {
    name: ROUTING_VIEW_ACTOR_NAME,
    restart: RESTART.owner,
    async init(ctx) {
      await runCleanup();
      const state: RoutingState = {
        generation: undefined,
        mirror: new ModelMirror(),
        subscriptions: [],
        dirty: false,
        changed: new Set(),
        built: undefined,
        rebuildTimer: undefined,
        retryTimer: undefined,
        retryMs: timing.retryMs,
        ensuring: false,
        lastStatus: store.status(),
        standby: undefined,
      };
      const offStatus = store.onStatus((status) => ctx.self.tell({ type: 'status', status }));
      cleanup.push(offStatus);
      try {
        const offMeta = await store.map<unknown>(DOMAIN_META_MAP).onChange((change) => {
          const value = change.type === 'set' ? change.value : undefined;
          if (change.key === DOMAIN_META_KEY) ctx.self.tell({ type: 'meta', meta: metaFromChange(value) });
          if (change.key === DOMAIN_PREPARED_KEY) ctx.self.tell({ type: 'prepared', prepared: preparedFromChange(value) });
        });
        cleanup.push(offMeta);
      } catch (error) {
        // The periodic check below still finds generation switches, only later.
        ctx.log.warn({ err: errorText(error) }, 'routing: cannot listen to domain.meta yet');
      }
      const check = setInterval(() => ctx.self.tell({ type: 'load', reason: 'periodic check' }), timing.checkIntervalMs);
      check.unref();
      cleanup.push(() => clearInterval(check));
      cleanup.push(() => {
        if (state.rebuildTimer !== undefined) clearTimeout(state.rebuildTimer);
        if (state.retryTimer !== undefined) clearTimeout(state.retryTimer);
        return Promise.all([unsubscribeAll(state.subscriptions), dropStandby(state)]).then(() => undefined);
      });
      ctx.self.tell({ type: 'load', reason: 'start' });
      return state;
    },
    async handle(state, message, ctx) {
      switch (message.type) {
        case 'load':
          await load(state, ctx, message.reason, false);
          return state;
        case 'meta':
          if (message.meta !== undefined && message.meta.generation !== state.generation) {
            await switchTo(state, ctx, message.meta, 'generation switch');
          }
          return state;
        case 'prepared': {
          const { prepared } = message;
          if (prepared === undefined) await dropStandby(state);
          else if (prepared.generation > (state.generation ?? 0) && state.standby?.generation !== prepared.generation) {
            await preload(state, ctx, prepared);
          }
          return state;
        }
        case 'change':
          if (message.generation === state.generation && state.mirror.apply(message.collection, message.change)) {
            state.changed.add(message.collection);
            scheduleRebuild(state, ctx);
          }
          return state;
        case 'rebuild':
          if (state.dirty) await rebuildNow(state, ctx);
          return state;
        case 'status': {
          const previous = state.lastStatus;
          state.lastStatus = message.status;
          // Events were lost while disconnected (and a restarted member lost the maps): reload.
          if (message.status === 'connected' && previous !== 'connected') await load(state, ctx, 'cluster reconnected', true);
          return state;
        }
        case 'ensured':
          state.ensuring = false;
          // busy/failed/unavailable: the pending retry tries again, with backoff.
          if (message.outcome === 'rebuilt' || message.outcome === 'present') await load(state, ctx, `maps ${message.outcome}`, false);
          return state;
      }
    },
    async onStop() {
      await runCleanup();
    },
  };
}
