// The worker a scheduling singleton runs while its node holds the lease: each of its jobs
// runs, then waits its interval, then runs again. A run is I/O-bound and long, so it runs
// detached and reports back with a message; stopping the worker (lease lost, node stopping)
// cancels the runs in progress, which stop at the next item.
import type { ActorSpec } from '../kernel/index.js';
import type { JobRunner } from './job-runner.js';

export interface ScheduledJob {
  runner: JobRunner;
  intervalMs: number;
}

export type JobsWorkerMessage = { kind: 'tick'; index: number; epoch: number } | { kind: 'done'; index: number; epoch: number };

interface JobsWorkerState {
  epoch: number;
  timers: Array<NodeJS.Timeout | undefined>;
  abort: AbortController;
}

let lastEpoch = 0;

export function jobsWorkerSpec(name: string, jobs: readonly ScheduledJob[]): ActorSpec<JobsWorkerState, JobsWorkerMessage> {
  return {
    name,
    restart: { maxRestarts: 10, withinMs: 60_000 },
    init(ctx) {
      lastEpoch += 1;
      const state: JobsWorkerState = { epoch: lastEpoch, timers: jobs.map(() => undefined), abort: new AbortController() };
      jobs.forEach((_job, index) => ctx.self.tell({ kind: 'tick', index, epoch: state.epoch }));
      return state;
    },
    handle(state, message, ctx) {
      if (message.epoch !== state.epoch) return state;
      const job = jobs[message.index];
      if (job === undefined) return state;
      if (message.kind === 'tick') {
        const epoch = state.epoch;
        void job.runner
          .run(state.abort.signal)
          .catch((err: unknown) => ctx.log.error({ job: job.runner.job, err: (err as Error).message }, 'scheduling job run failed'))
          .finally(() => ctx.self.tell({ kind: 'done', index: message.index, epoch }));
        return state;
      }
      const timer = setTimeout(() => ctx.self.tell({ kind: 'tick', index: message.index, epoch: state.epoch }), job.intervalMs);
      timer.unref();
      state.timers[message.index] = timer;
      return state;
    },
    onStop(state) {
      state.epoch = -1;
      state.abort.abort();
      for (const timer of state.timers) if (timer) clearTimeout(timer);
    },
  };
}
