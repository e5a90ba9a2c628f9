// Load shedding for the client port: when the event loop falls behind (its median delay over
// a sampling window exceeds a limit), new requests get a cheap 503 with Retry-After instead of
// queueing without bound. The median, not the tail: one GC pause or a moment of CPU
// starvation must not shed a whole window; a loop that is late most of the time must.
// The hot path only reads a boolean; a timer does the measuring.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoadShedderOptions {
  /** Shed while the event loop's median delay over the last window is above this. Default 200 ms. */
  maxEventLoopDelayMs?: number;
  /** Sampling window. Default 1000 ms. */
  windowMs?: number;
  /** Sent as Retry-After (seconds). Default 1. */
  retryAfterSeconds?: number;
}

export interface LoadShedder {
  /** True while requests should be shed. */
  readonly overloaded: boolean;
  readonly retryAfterSeconds: number;
  /** Requests shed since start. */
  readonly shed: number;
  countShed(): void;
  /** Tests: force the state regardless of measurements (undefined = measure). */
  force(state: boolean | undefined): void;
  stop(): void;
}

export function startLoadShedder(opts: LoadShedderOptions = {}): LoadShedder {
  const limitNs = (opts.maxEventLoopDelayMs ?? 200) * 1e6;
  const windowMs = opts.windowMs ?? 1000;
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let measured = false;
  let forced: boolean | undefined;
  let shed = 0;
  const timer = setInterval(() => {
    measured = histogram.count > 0 && histogram.percentile(50) > limitNs;
    histogram.reset();
  }, windowMs);
  timer.unref();
  return {
    get overloaded() {
      return forced ?? measured;
    },
    retryAfterSeconds: opts.retryAfterSeconds ?? 1,
    get shed() {
      return shed;
    },
    countShed() {
      shed++;
    },
    force(state) {
      forced = state;
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
