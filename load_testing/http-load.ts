// One HTTP load run with autocannon, in the current process (load-child.ts runs it in a
// child so the generator does not share an event loop with anything else). Every response
// time is recorded in our own histogram, so percentiles are exact to 0.2 % and, in
// fixed-rate mode, corrected for coordinated omission with the right interval.
import autocannon, { type AutocannonClient, type AutocannonRequest } from 'autocannon';
import { LatencyHistogram, type HistogramJson } from './histogram.js';

export interface HttpLoadSpec {
  /** Base URL, e.g. http://127.0.0.1:4001 */
  target: string;
  connections: number;
  /** Fixed total rate; absent: closed loop. */
  rps?: number;
  durationMs: number;
  /** Cycled through in order by all connections together. */
  requests: Array<{ path: string; ip?: string }>;
  timeoutS?: number;
}

export interface SecondSample {
  count: number;
  errors: number;
  sumMs: number;
  maxMs: number;
}

/** How the responses of an HTTP run ended. */
export interface ResponseTally {
  statusCounts: Record<string, number>;
  errors: Record<string, number>;
  errorTotal: number;
  timeouts: number;
}

export interface HttpLoadRaw extends ResponseTally {
  startedAt: string;
  durationS: number;
  connections: number;
  responses: number;
  /** Coordinated-omission corrected in fixed-rate mode, else as measured. */
  latency: HistogramJson;
  /** As measured (fixed-rate mode only). */
  uncorrected?: HistogramJson;
  /** Expected interval between two requests of one connection (fixed-rate mode). */
  expectedIntervalMs?: number;
  timeline: SecondSample[];
}

/** Counts a run's answers per status and its errors per kind, both per second too. */
export class RunTally implements ResponseTally {
  readonly statusCounts: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly timeline: SecondSample[] = [];
  errorTotal = 0;
  timeouts = 0;
  responses = 0;

  answer(second: number, status: number, ms: number): void {
    this.responses++;
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
    const sample = this.sample(second);
    sample.count++;
    sample.sumMs += ms;
    if (ms > sample.maxMs) sample.maxMs = ms;
  }

  error(second: number, kind: string, timedOut: boolean): void {
    this.errorTotal++;
    if (timedOut) this.timeouts++;
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    this.sample(second).errors++;
  }

  private sample(second: number): SecondSample {
    while (this.timeline.length <= second) this.timeline.push({ count: 0, errors: 0, sumMs: 0, maxMs: 0 });
    return this.timeline[second]!;
  }
}

/**
 * autocannon's fixed-rate mode sends each connection's quota for a second back to back when
 * that connection's one-second timer fires, and all timers start together, so the whole
 * rate would arrive as one burst at the top of every second. Here each connection starts
 * paused and its timer first fires at its own offset in the second, which spreads the bursts
 * evenly. This touches autocannon internals (called from setupClient, before the client
 * connects; checked, and left alone when they are not there).
 */
function staggerRateTimer(client: AutocannonClient, offsetMs: number): void {
  if (client.rate === undefined || client.rate <= 0) return;
  client.reqsMadeThisSecond = Number.POSITIVE_INFINITY; // the first request waits for the first tick
  setImmediate(() => {
    if (client.rateInterval === undefined || typeof client._doRequest !== 'function') {
      client.reqsMadeThisSecond = 0;
      return;
    }
    clearInterval(client.rateInterval);
    const tick = (): void => {
      if (client.destroyed === true) return;
      client.reqsMadeThisSecond = 0;
      if (client.paused === true) client._doRequest!();
      client.paused = false;
    };
    client.rateInterval = setTimeout(() => {
      tick();
      client.rateInterval = setInterval(tick, 1000);
    }, offsetMs);
  });
}

/** Runs `spec`; `stop` (optional) ends the run early, with the results so far. */
export async function runHttpLoad(spec: HttpLoadSpec, stop?: Promise<void>): Promise<HttpLoadRaw> {
  if (spec.requests.length === 0) throw new Error('runHttpLoad: no requests to send');
  const pool = spec.requests.map((r): { path: string; headers: Record<string, string> } => ({
    path: r.path,
    headers: r.ip === undefined ? {} : { 'x-real-ip': r.ip },
  }));
  let cursor = 0;
  const next: AutocannonRequest = {
    method: 'GET',
    setupRequest: (request) => {
      const chosen = pool[cursor]!;
      cursor = cursor + 1 === pool.length ? 0 : cursor + 1;
      return { ...request, path: chosen.path, headers: chosen.headers };
    },
  };

  // autocannon lowers connections to the rate when the rate is smaller; mirror it for the interval.
  const connections = spec.rps !== undefined ? Math.min(spec.connections, spec.rps) : spec.connections;
  const expectedIntervalMs = spec.rps !== undefined ? (1000 * connections) / spec.rps : undefined;
  const latency = new LatencyHistogram();
  const uncorrected = expectedIntervalMs !== undefined ? new LatencyHistogram() : undefined;
  const tally = new RunTally();
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const second = (): number => Math.floor((performance.now() - started) / 1000);

  let clientIndex = 0;
  let finish: (error: Error | null, result?: { duration: number }) => void = () => {};
  const finished = new Promise<{ duration: number }>((resolve, reject) => {
    finish = (error, result) =>
      error !== null || result === undefined ? reject(error ?? new Error('autocannon gave no result')) : resolve(result);
  });
  const instance = autocannon(
    {
      url: spec.target,
      connections,
      duration: spec.durationMs / 1000,
      timeout: spec.timeoutS ?? 10,
      ...(spec.rps !== undefined ? { overallRate: spec.rps, ignoreCoordinatedOmission: true } : {}),
      requests: [next],
      skipAggregateResult: true,
      setupClient: (client) => {
        if (spec.rps !== undefined) staggerRateTimer(client, (1000 * clientIndex++) / connections);
      },
    },
    (error, result) => finish(error, result),
  );

  instance.on('response', (_client, statusCode, _bytes, ms) => {
    tally.answer(second(), statusCode, ms);
    if (uncorrected !== undefined && expectedIntervalMs !== undefined) {
      uncorrected.record(ms);
      latency.recordCorrected(ms, expectedIntervalMs);
    } else {
      latency.record(ms);
    }
  });
  instance.on('reqError', (error) => {
    const key = (error as NodeJS.ErrnoException).code ?? error.message;
    tally.error(second(), key, key === 'request timed out' || /timed out/i.test(error.message));
  });

  void stop?.then(() => instance.stop());
  const result = await finished;
  return {
    startedAt,
    durationS: result.duration,
    connections,
    responses: tally.responses,
    statusCounts: tally.statusCounts,
    errors: tally.errors,
    errorTotal: tally.errorTotal,
    timeouts: tally.timeouts,
    latency: latency.toJSON(),
    ...(uncorrected !== undefined ? { uncorrected: uncorrected.toJSON() } : {}),
    ...(expectedIntervalMs !== undefined ? { expectedIntervalMs } : {}),
    timeline: tally.timeline.slice(0, Math.ceil(result.duration)),
  };
}
