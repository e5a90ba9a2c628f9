// Load shedding for the client port: when the event loop falls behind (its median delay over
// a sampling window exceeds a limit), new requests get a cheap 503 with Retry-After instead of
// queueing without bound. The median, not the tail: one GC pause or a moment of CPU
// starvation must not shed a whole window; a loop that is late most of the time must.
// The hot path only reads a boolean; a timer does the measuring.
import { performance } from 'node:perf_hooks';

/** Where the event-loop delay comes from (a perf_hooks histogram; tests pass a fake). */
export interface DelaySampler {
  /** Median delay of the samples since the last reset, in ms; undefined without samples. */
  medianMs(): number | undefined;
  /** Largest delay since the last reset, in ms; undefined without samples. */
  maxMs(): number | undefined;
  reset(): void;
  stop(): void;
}

const SAMPLE_EVERY_MS = 10;

/**
 * Measures how late a 10 ms timer fires. (perf_hooks' monitorEventLoopDelay was tried: it
 * did not record a loop blocked for 300 ms, so the shedder measures the lag itself.)
 */
export function eventLoopDelaySampler(): DelaySampler {
  let samples: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    samples.push(Math.max(0, now - last - SAMPLE_EVERY_MS));
    last = now;
  }, SAMPLE_EVERY_MS);
  timer.unref();
  return {
    medianMs() {
      if (samples.length === 0) return undefined;
      const sorted = [...samples].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    },
    maxMs() {
      return samples.length === 0 ? undefined : Math.max(...samples);
    },
    reset() {
      samples = [];
    },
    stop() {
      clearInterval(timer);
    },
  };
}

export interface LoadShedderOptions {
  /** Shed while the event loop's median delay over the last window is above this. Default 200 ms. */
  maxEventLoopDelayMs?: number;
  /** Sampling window. Default 1000 ms. */
  windowMs?: number;
  /** Sent as Retry-After (seconds). Default 1. */
  retryAfterSeconds?: number;
  /** Default: the process's event-loop delay histogram. */
  sampler?: DelaySampler;
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
  /** Closes the current window: decides from its samples and starts the next one. */
  closeWindow(): void;
  /**
   * Forgets the current window and the verdict: the port starts listening now, and the node's
   * start (which blocks the loop by design) is not a reason to shed its first requests.
   */
  startFresh(): void;
  stop(): void;
}

export function startLoadShedder(opts: LoadShedderOptions = {}): LoadShedder {
  const limitMs = opts.maxEventLoopDelayMs ?? 200;
  const windowMs = opts.windowMs ?? 1000;
  const sampler = opts.sampler ?? eventLoopDelaySampler();
  let measured = false;
  let forced: boolean | undefined;
  let shed = 0;
  const closeWindow = (): void => {
    const median = sampler.medianMs();
    measured = median !== undefined && median > limitMs;
    sampler.reset();
  };
  const timer = setInterval(closeWindow, windowMs);
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
    closeWindow,
    startFresh() {
      sampler.reset();
      measured = false;
    },
    stop() {
      clearInterval(timer);
      sampler.stop();
    },
  };
}
