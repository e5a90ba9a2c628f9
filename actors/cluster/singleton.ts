// A cluster singleton: work that must run once in the whole cluster (the health checker,
// video retention per zone) runs under a lease in the cluster store. Every node runs this
// actor; the one holding the lease runs the worker as its child and renews the lease; the
// others keep trying to acquire it, so when the holder dies its lease expires and another
// node takes over. A node that stops releases the lease at once (hand-over).
import type { ClusterLeases } from '../../domain/ports/cluster-store.js';
import { RESTART, stopActor } from '../kernel/index.js';
import type { ActorContext, ActorRef, ActorSpec } from '../kernel/index.js';

export interface SingletonOptions {
  /** Lease name, unique in the cluster, e.g. `singleton.healthcheck`. */
  lease: string;
  /** This node's name (the lease holder). */
  holder: string;
  leases: Pick<ClusterLeases, 'acquire' | 'renew' | 'release'>;
  /** The lease lives this long without renewal; renewals and attempts happen every third of it. */
  leaseTtlMs: number;
  worker: ActorSpec<unknown, unknown>;
  /** Notified when this node gains or loses the lease (for metrics and /cluster/nodes). */
  onChange?: (held: boolean) => void;
}

export type SingletonMsg = { type: 'tick'; epoch: number } | { type: 'stop-worker' };

interface SingletonState {
  epoch: number;
  held: boolean;
  worker: ActorRef<unknown> | undefined;
  timer: NodeJS.Timeout | undefined;
}

let lastEpoch = 0;

export function singletonSpec(name: string, opts: SingletonOptions): ActorSpec<SingletonState, SingletonMsg> {
  const periodMs = Math.max(50, Math.floor(opts.leaseTtlMs / 3));

  function scheduleTick(state: SingletonState, ctx: ActorContext<SingletonMsg>, delayMs: number): void {
    state.timer = setTimeout(() => ctx.self.tell({ type: 'tick', epoch: state.epoch }), delayMs);
    state.timer.unref();
  }

  async function loseLease(state: SingletonState): Promise<void> {
    if (state.worker) await stopActor(state.worker);
    state.worker = undefined;
    if (state.held) opts.onChange?.(false);
    state.held = false;
  }

  return {
    name,
    restart: RESTART.owner,
    init(ctx) {
      lastEpoch += 1;
      const state: SingletonState = { epoch: lastEpoch, held: false, worker: undefined, timer: undefined };
      scheduleTick(state, ctx, 0);
      return state;
    },
    async handle(state, message, ctx) {
      if (message.type === 'stop-worker') {
        await loseLease(state);
        return state;
      }
      // A tick from before a restart belongs to a previous incarnation: ignore it.
      if (message.epoch !== state.epoch) return state;
      try {
        if (state.held) {
          const renewed = await opts.leases.renew(opts.lease, opts.holder, opts.leaseTtlMs);
          if (!renewed) {
            ctx.log.warn({ lease: opts.lease }, 'singleton lease lost; stopping the worker');
            await loseLease(state);
          }
        } else if (await opts.leases.acquire(opts.lease, opts.holder, opts.leaseTtlMs)) {
          state.held = true;
          opts.onChange?.(true);
          ctx.log.info({ lease: opts.lease }, 'singleton lease acquired; starting the worker');
          state.worker = ctx.spawn(opts.worker);
        }
      } catch (error) {
        // The cluster store is unreachable: we cannot prove we still hold the lease, so stop
        // working (two holders at once must not happen) and try again next period.
        ctx.log.warn({ lease: opts.lease, err: (error as Error).message }, 'singleton lease check failed');
        await loseLease(state);
      }
      scheduleTick(state, ctx, periodMs);
      return state;
    },
    async onStop(state) {
      if (state.timer) clearTimeout(state.timer);
      state.epoch = -1;
      const wasHeld = state.held;
      await loseLease(state);
      if (wasHeld) await opts.leases.release(opts.lease, opts.holder).catch(() => undefined);
    },
  };
}
