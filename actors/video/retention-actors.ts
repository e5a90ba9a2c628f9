// Retention actors of one zone on a storage node (docs/video.md, "Retention"):
// - the runner runs retention, one run at a time on this node (API runs and scheduled runs
//   queue behind each other; a request during a run gets that run's successor);
// - the scheduler is the worker of the zone's cluster singleton: only the lease holder among
//   the zone's storage nodes runs it, every VIDEO_RETENTION_INTERVAL_MS.
// Two runs at once on different nodes (a lease hand-over during a run) are safe: every step
// of a run is idempotent.
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
  | { kind: 'run'; replyTo: ReplyTo<RetentionReport> }
  | { kind: 'run-done' };

interface RunnerState {
  running: boolean;
  waiting: Array<ReplyTo<RetentionReport>>;
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
        state.waiting.push(message.replyTo);
        if (state.running) return state;
      }
      state.running = true;
      const waiting = state.waiting.splice(0);
      void (async () => {
        try {
          const zone = await opts.store.getZone(opts.zone);
          if (zone === undefined) throw new ZoneNotFoundError(opts.zone);
          const report = await runRetention(zone, opts.store, opts.log, { cancelled: () => state.stopped });
          for (const replyTo of waiting) replyTo.reply(report);
        } catch (error) {
          for (const replyTo of waiting) replyTo.fail(error as Error);
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
      void ask(runner, (replyTo) => ({ kind: 'run', replyTo }), 24 * 3_600_000)
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
