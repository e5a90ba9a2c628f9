// A fixed-rate redirect load over several nodes whose every answer is checked (B9 and
// test/cluster/hosts.test.ts: hosts die under it). Runs in a load child (load-child.ts) so it
// has its own event loop. Open loop: request n is due at start + n / rate and goes to the next
// live target round robin; its latency counts from when it was due, so a generator that falls
// behind shows up as latency and as late sends rather than hiding. A request due while its
// target already has every connection busy is not queued (answers would then measure the
// queue) but counted as missed: a shortfall of the achieved rate, reported per target.
import { LatencyHistogram, type HistogramJson } from './histogram.js';
import { Http1Connection, getRequest, headerOf, type Http1Outcome } from './http1-connection.js';

export interface CheckedRequest {
  path: string;
  /** Client address (X-Real-IP). */
  ip: string;
  /** The answer must be a 302 to one of these. */
  locations: string[];
}

export interface CheckedLoadSpec {
  /** `url`: a node's client port, e.g. http://127.0.0.11:4001. */
  targets: Array<{ name: string; url: string }>;
  /** Cycled through in order, per target (every target gets every request). */
  requests: CheckedRequest[];
  /** Total requests per second over the live targets. */
  rps: number;
  /** Keep-alive connections per target, also the most requests open on it (default 128). */
  connectionsPerTarget?: number;
  timeoutMs?: number;
}

export interface TargetTally {
  /** Requests the schedule gave this target. */
  due: number;
  sent: number;
  /** Due while every connection to the target was busy: not sent, a shortfall. */
  missed: number;
  /** Sent more than LATE_MS after they were due (the generator fell behind). */
  late: number;
  /** A 302 to one of the request's Locations. */
  ok: number;
  /**
   * 503 with Retry-After from the node's load shedder (gateway/client/load-shedder.ts: its
   * event loop fell behind, e.g. starved of CPU); apart from failures so a report can tell them apart.
   */
  shed: number;
  /** Wrong status or Location, 503 not ready, connection errors, timeouts. */
  failed: number;
  /** The first few failures. */
  samples: string[];
  /** From when each answered request was due to its answer. */
  latency: HistogramJson;
}

export interface CheckedLoadSnapshot {
  /** Since the start or the last reset (up to the stop). */
  windowS: number;
  rps: number;
  targets: Record<string, TargetTally>;
  /** How far behind its schedule the sender loop fell at worst (ms). */
  maxSendLagMs: number;
  /** The longest this process' own event loop stood still (ms): a stalled generator, not a slow node. */
  maxOwnStallMs: number;
  /** CPU time this process used in the window (ms): what the generator itself costs. */
  cpuMs: number;
}

/** What the parent may ask of a running load (child-runner.ts ChildTask.control). */
export type CheckedLoadCommand =
  | { op: 'snapshot' }
  /** Counts afresh from now (e.g. after the warm-up); answers still due from before are not counted. */
  | { op: 'reset' }
  /** Sends nothing more to that target (a host going down); the rate goes to the others. */
  | { op: 'exclude'; name: string }
  | { op: 'include'; name: string };

export interface CheckedLoad {
  control(command: CheckedLoadCommand): CheckedLoadSnapshot;
  /** Stops sending, waits for the answers still due, returns the last snapshot. */
  stop(): Promise<CheckedLoadSnapshot>;
}

const LATE_MS = 50;
const TICK_MS = 5;
const TIMEOUT_CHECK_MS = 100;
const MAX_SAMPLES = 5;
/** The body of a shed request (gateway/client/redirect-route.ts). */
const SHED_BODY = 'Service Unavailable';

interface Target {
  name: string;
  host: string;
  port: number;
  /** Every request prepared for this target, in the order of spec.requests. */
  prepared: Buffer[];
  connections: Set<Http1Connection>;
  idle: Http1Connection[];
  cursor: number;
}

interface Counting {
  tally: Omit<TargetTally, 'latency'>;
  latency: LatencyHistogram;
}

function emptyCounting(): Counting {
  return {
    tally: { due: 0, sent: 0, missed: 0, late: 0, ok: 0, shed: 0, failed: 0, samples: [] },
    latency: new LatencyHistogram(),
  };
}

export function startCheckedLoad(spec: CheckedLoadSpec): CheckedLoad {
  if (spec.targets.length === 0 || spec.requests.length === 0) throw new Error('startCheckedLoad: no targets or no requests');
  if (!(spec.rps > 0)) throw new Error('startCheckedLoad: the rate must be positive');
  const connections = spec.connectionsPerTarget ?? 128;
  const timeoutMs = spec.timeoutMs ?? 5_000;
  const targets: Target[] = spec.targets.map((t) => {
    const url = new URL(t.url);
    return {
      name: t.name,
      host: url.hostname,
      port: Number(url.port),
      prepared: spec.requests.map((r) => getRequest(url.host, r.path, { 'X-Real-IP': r.ip })),
      connections: new Set(),
      idle: [],
      cursor: 0,
    };
  });
  const excluded = new Set<string>();
  let open = 0;
  let drained: (() => void) | undefined;
  let counts = new Map<string, Counting>();
  let windowStart = performance.now();
  let windowEnd: number | undefined;
  let cpuStart = process.cpuUsage();
  let cpuEnd: NodeJS.CpuUsage | undefined;
  let maxSendLagMs = 0;

  const countingOf = (name: string): Counting => {
    let c = counts.get(name);
    if (c === undefined) {
      c = emptyCounting();
      counts.set(name, c);
    }
    return c;
  };

  /**
   * The idle connection to `target` that has waited longest, or a new one while there are fewer
   * than `connections`. Oldest first, so no connection idles until the server's keep-alive
   * timeout closes it just as a request is written to it (a failure of the client, not the node).
   */
  const connectionTo = (target: Target): Http1Connection | undefined => {
    const idle = target.idle.shift();
    if (idle !== undefined || target.connections.size >= connections) return idle;
    const fresh = new Http1Connection(target.host, target.port, (closed) => {
      target.connections.delete(closed);
      const i = target.idle.indexOf(closed);
      if (i >= 0) target.idle.splice(i, 1);
    });
    target.connections.add(fresh);
    return fresh;
  };

  const check = (req: CheckedRequest, dueAt: number, c: Counting, outcome: Http1Outcome): void => {
    const fail = (why: string): void => {
      c.tally.failed += 1;
      if (c.tally.samples.length < MAX_SAMPLES) c.tally.samples.push(`${new Date().toISOString()} ${req.path}: ${why}`);
    };
    if (!outcome.ok) return fail(outcome.error);
    const { answer } = outcome;
    const { status, body } = answer;
    c.latency.record(performance.now() - dueAt);
    const location = headerOf(answer, 'location') ?? '';
    if (status === 302 && req.locations.includes(location)) c.tally.ok += 1;
    else if (status === 503 && body === SHED_BODY && headerOf(answer, 'retry-after') !== undefined) c.tally.shed += 1;
    else fail(`${status} ${location}${body.slice(0, 80)}`);
  };

  const intervalMs = 1000 / spec.rps;
  const scheduleStart = performance.now();
  let n = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = performance.now();
    for (; scheduleStart + n * intervalMs <= now; n++) {
      const dueAt = scheduleStart + n * intervalMs;
      const live = targets.filter((t) => !excluded.has(t.name));
      if (live.length === 0) continue;
      const target = live[n % live.length]!;
      const c = countingOf(target.name);
      c.tally.due += 1;
      const index = target.cursor;
      target.cursor = (target.cursor + 1) % spec.requests.length;
      const connection = connectionTo(target);
      if (connection === undefined) {
        c.tally.missed += 1;
        continue;
      }
      const lag = now - dueAt;
      maxSendLagMs = Math.max(maxSendLagMs, lag);
      if (lag > LATE_MS) c.tally.late += 1;
      c.tally.sent += 1;
      open += 1;
      connection.send(target.prepared[index]!, (outcome) => {
        check(spec.requests[index]!, dueAt, c, outcome);
        open -= 1;
        if (outcome.ok && target.connections.has(connection)) target.idle.push(connection);
        if (open === 0) drained?.();
      });
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, Math.min(TICK_MS, scheduleStart + n * intervalMs - performance.now())));
  };
  tick();
  let lastCheckAt = performance.now();
  let maxOwnStallMs = 0;
  const timeouts = setInterval(() => {
    const now = performance.now();
    maxOwnStallMs = Math.max(maxOwnStallMs, now - lastCheckAt - TIMEOUT_CHECK_MS);
    lastCheckAt = now;
    const expired = [...targets].flatMap((t) => [...t.connections].filter((c) => c.busy && now - c.sentAt > timeoutMs));
    if (expired.length === 0) return;
    // Judged again after the poll phase: when this process itself was descheduled, the answers
    // are already in the socket buffers and the timers phase runs before they are read.
    setImmediate(() => {
      for (const connection of expired)
        if (connection.busy && performance.now() - connection.sentAt > timeoutMs)
          connection.destroy(`no answer within ${timeoutMs} ms (${connection.describe()})`);
    });
  }, TIMEOUT_CHECK_MS);

  const snapshot = (): CheckedLoadSnapshot => {
    const cpu = process.cpuUsage(cpuStart);
    const used = cpuEnd ?? { user: cpu.user, system: cpu.system };
    return {
      windowS: ((windowEnd ?? performance.now()) - windowStart) / 1000,
      rps: spec.rps,
      targets: Object.fromEntries([...counts].map(([name, c]) => [name, { ...c.tally, latency: c.latency.toJSON() }])),
      maxSendLagMs,
      maxOwnStallMs,
      cpuMs: (used.user + used.system) / 1000,
    };
  };

  return {
    control(command) {
      if (command.op === 'reset') {
        counts = new Map();
        windowStart = performance.now();
        cpuStart = process.cpuUsage();
        maxSendLagMs = 0;
        maxOwnStallMs = 0;
      } else if (command.op === 'exclude') excluded.add(command.name);
      else if (command.op === 'include') excluded.delete(command.name);
      return snapshot();
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        clearTimeout(timer);
        windowEnd = performance.now();
        cpuEnd = process.cpuUsage(cpuStart);
      }
      if (open > 0) await new Promise<void>((resolve) => (drained = resolve));
      clearInterval(timeouts);
      for (const t of targets) for (const connection of t.connections) connection.destroy('stopped');
      return snapshot();
    },
  };
}
