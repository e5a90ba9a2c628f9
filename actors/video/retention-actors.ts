// Retention actors of one zone on a storage node (docs/video.md, "Retention"):
// - the runner runs retention, one run at a time on this node (API runs and scheduled runs
//   queue behind each other; a request during a run gets that run's successor);
// - the scheduler is the worker of the zone's cluster singleton: only the lease holder among
//   the zone's storage nodes runs it, every VIDEO_RETENTION_INTERVAL_MS.
// A scheduler that loses the lease cancels its run (it stops after the current file). Two runs
// at once on different nodes (an API run, or a hand-over) are safe anyway: every step of a run
// is idempotent.
import type { Logger } from '../../domain/log.js';
import type { ActorRef, ActorSpec, ReplyTo } from '../kernel/index.js';
import { ask } from '../kernel/index.js';
import type { VideoStore } from './ports.js';
import { runRetention, type RetentionReport } from './retention.js';

export class ZoneNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(zone: string) {
    super(`There is no video zone "${zone}".`);
    this.name = 'ZoneNotFoundError';
  }
}

export type RetentionRunnerMessage =
  /** `cancelled`: the asker no longer wants the run (the scheduler lost its lease). */
  { kind: 'run'; replyTo: ReplyTo<RetentionReport>; cancelled?: () => boolean } | { kind: 'run-done' };

interface Waiter {
  replyTo: ReplyTo<RetentionReport>;
  cancelled: (() => boolean) | undefined;
}

interface RunnerState {
  running: boolean;
  waiting: Waiter[];
  stopped: boolean;
}

export interface RetentionRunnerOptions {
  zone: string;
  store: VideoStore;
  log: Logger;
}

export function retentionRunnerName(zone: string): string {
  return `retention-${zone}`;
}

export function retentionRunnerSpec(opts: RetentionRunnerOptions): ActorSpec<RunnerState, RetentionRunnerMessage> {
  return {
    name: retentionRunnerName(opts.zone),
    restart: { maxRestarts: 10, withinMs: 60_000 },
    init: () => ({ running: false, waiting: [], stopped: false }),
    handle(state, message, ctx) {
      if (message.kind === 'run-done') {
        state.running = false;
        if (state.waiting.length === 0) return state;
      } else {
        state.waiting.push({ replyTo: message.replyTo, cancelled: message.cancelled });
        if (state.running) return state;
      }
      state.running = true;
      const waiting = state.waiting.splice(0);
      void (async () => {
        try {
          const zone = await opts.store.getZone(opts.zone);
          if (zone === undefined) throw new ZoneNotFoundError(opts.zone);
          // A run stops early when the node stops or when every asker gave up on it (a scheduler
          // that lost the zone's lease must not go on beside the new holder's run).
          const cancelled = (): boolean => state.stopped || waiting.every((w) => w.cancelled?.() === true);
          const report = await runRetention(zone, opts.store, opts.log, { cancelled });
          for (const waiter of waiting) waiter.replyTo.reply(report);
        } catch (error) {
          for (const waiter of waiting) waiter.replyTo.fail(error as Error);
        }
        ctx.self.tell({ kind: 'run-done' });
      })();
      return state;
    },
    onStop(state) {
      state.stopped = true;
    },
  };
}

type SchedulerMessage = { kind: 'tick' } | { kind: 'done' };

interface SchedulerState {
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/** Holds no state worth keeping: after a restart it simply waits one interval again. */
export function retentionSchedulerSpec(
  zone: string,
  runner: ActorRef<RetentionRunnerMessage>,
  intervalMs: number,
  log: Logger,
): ActorSpec<SchedulerState, SchedulerMessage> {
  const schedule = (state: SchedulerState, self: ActorRef<SchedulerMessage>): void => {
    if (state.stopped) return;
    state.timer = setTimeout(() => self.tell({ kind: 'tick' }), intervalMs);
    state.timer.unref();
  };
  return {
    name: `retention-scheduler-${zone}`,
    init(ctx) {
      const state: SchedulerState = { timer: undefined, stopped: false };
      // Finish an interrupted run's intents at once, then keep the interval.
      ctx.self.tell({ kind: 'tick' });
      return state;
    },
    handle(state, message, ctx) {
      if (message.kind === 'done') {
        schedule(state, ctx.self);
        return state;
      }
      void ask(runner, (replyTo) => ({ kind: 'run', replyTo, cancelled: () => state.stopped }), 24 * 3_600_000)
        .catch((error: unknown) => {
          if (!(error instanceof ZoneNotFoundError)) log.warn({ zone, err: (error as Error).message }, 'scheduled retention run failed');
        })
        .finally(() => ctx.self.tell({ kind: 'done' }));
      return state;
    },
    onStop(state) {
      state.stopped = true;
      if (state.timer) clearTimeout(state.timer);
    },
  };
}
