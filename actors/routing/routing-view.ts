// The routing actor (one per node): owns the node's routing view. It follows `domain.meta`
// to the generation of cluster maps every node serves, loads that generation, applies map
// events (stale versions ignored), rebuilds the view after a short quiet period (bursts
// coalesce) and swaps the immutable snapshot into the RoutingViewHolder. When the maps are
// missing (fresh or restarted Hazelcast) it asks the domain-model actor to rebuild them from
// MongoDB; after a cluster reconnect it reloads. Meanwhile the last view keeps serving.
import { COLLECTION_NAMES, type CollectionName } from '../../domain/routing/entities.js';
import type { ClusterStatus, ClusterStore, MapChange, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { RESTART, type ActorContext, type ActorSpec } from '../kernel/index.js';
import {
  DOMAIN_META_KEY,
  DOMAIN_META_MAP,
  DOMAIN_SWITCH_TOPIC,
  generationMap,
  metaFromChange,
  readMeta,
  type DomainMapsMeta,
  type SwitchAck,
} from './cluster-maps.js';
import { ModelMirror } from './model-mirror.js';
import type { RoutingViewHolder } from './view-holder.js';
import { buildRoutingViewSliced, updateRoutingViewSliced, type RoutingView } from './view.js';
import { runSliced, sliceClock } from './slices.js';
import { readSnapshot, SnapshotIncomplete } from './snapshot.js';
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
  restMs: 2,
};

export interface RoutingViewDeps {
  store: ClusterStore;
  holder: RoutingViewHolder;
  nodeName: string;
  ensureMaps(request: EnsureMapsRequest): Promise<EnsureMapsOutcome>;
  timing?: Partial<RoutingTiming>;
  /** Called after every swap (metrics). */
  onSwap?(info: { generation: number; buildMs: number; records: number }): void;
}

/** All of them its own: cluster map events, timers and the answers of its asks (no public messages). */
type RoutingViewSelfMsg =
  | { type: 'load'; reason: string }
  | { type: 'meta'; meta: DomainMapsMeta | undefined }
  | { type: 'change'; generation: number; collection: CollectionName; change: MapChange<unknown> }
  | { type: 'rebuild' }
  | { type: 'status'; status: ClusterStatus }
  | { type: 'ensured'; outcome: EnsureMapsOutcome | 'failed' };

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
        const model = await runSliced(state.mirror.toModelSteps(), timing.sliceMs, timing.restMs);
        view = await buildRoutingViewSliced(model, generation, timing.sliceMs, timing.restMs);
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

  /** Loads generation `meta.generation` completely, then makes it the served one. */
  async function switchTo(state: RoutingState, ctx: ActorContext<RoutingViewSelfMsg>, meta: DomainMapsMeta, reason: string): Promise<void> {
    const generation = meta.generation;
    const subscriptions: Unsubscribe[] = [];
    try {
      // Listen first, then read: an event racing the read is applied after it (by version).
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
        meta,
        (collection, records) => mirror.addRecords(collection, records),
        sliceClock(timing.sliceMs, timing.restMs),
      );
      const read = performance.now();
      const deltas = await Promise.all(COLLECTION_NAMES.map((collection) => generationMap(store, generation, collection).entries()));
      COLLECTION_NAMES.forEach((collection, i) => {
        for (const [key, entry] of deltas[i] ?? [])
          mirror.apply(collection, { type: 'set', key, version: entry.version, value: entry.value });
      });
      const previous = state.subscriptions;
      state.subscriptions = subscriptions;
      state.generation = generation;
      state.mirror = mirror;
      state.built = undefined;
      state.retryMs = timing.retryMs;
      await unsubscribeAll(previous);
      await rebuildNow(state, ctx);
      const timings = { readMs: Math.round(read - started), buildMs: Math.round(performance.now() - read) };
      ctx.log.info({ generation, records: mirror.size, reason, timings }, 'routing: view loaded');
      const ack: SwitchAck = { node: deps.nodeName, generation, timings };
      await store.topics.publish(DOMAIN_SWITCH_TOPIC, ack).catch(() => undefined);
    } catch (error) {
      await unsubscribeAll(subscriptions);
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
      };
      const offStatus = store.onStatus((status) => ctx.self.tell({ type: 'status', status }));
      cleanup.push(offStatus);
      try {
        const offMeta = await store.map<unknown>(DOMAIN_META_MAP).onChange((change) => {
          if (change.key !== DOMAIN_META_KEY) return;
          ctx.self.tell({ type: 'meta', meta: change.type === 'set' ? metaFromChange(change.value) : undefined });
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
        return unsubscribeAll(state.subscriptions);
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
