// A steady redirect load for the multi-host test: a fixed request rate spread round-robin
// over several nodes' client ports (keep-alive connections), each answer checked against
// the redirect it must be, tallied per target. A light loop rather than autocannon: the
// test needs per-target outcomes at a fixed rate while processes die under it.
import { Agent, request } from 'node:http';

export interface LoadTarget {
  name: string;
  host: string;
  port: number;
}

export interface ResolvableRequest {
  path: string;
  clientIp: string;
  /** Every Location the answer may carry. */
  locations: string[];
}

export interface TargetTally {
  sent: number;
  /** Not sent: the target already had MAX_INFLIGHT requests open (a backlog would only delay). */
  skipped: number;
  ok: number;
  /**
   * 503 from the node's load shedder (gateway/client/load-shedder.ts: its event loop fell
   * behind, e.g. starved of CPU); counted apart from failures so a report can tell them apart.
   */
  shed: number;
  /** Wrong status or Location, 503 not ready, connection errors, timeouts. */
  failed: number;
  /** The first few failures, for the report. */
  samples: string[];
}

export interface RedirectLoad {
  /** Outcomes so far, per target name. */
  tally(): Map<string, TargetTally>;
  /** Starts counting afresh (e.g. after the warm-up). */
  reset(): void;
  /** Sends nothing more to `name` from now on (a host that is going down). */
  exclude(name: string): void;
  include(name: string): void;
  /** Stops sending and waits for the answers still due. */
  stop(): Promise<void>;
}

const TICK_MS = 10;
/** Per target: beyond this many open requests new ones are skipped, not queued. */
const MAX_INFLIGHT = 32;
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_SAMPLES = 5;
/** The body of a shed request (gateway/client/redirect-route.ts). */
const SHED_BODY = 'Service Unavailable';

export function startRedirectLoad(targets: LoadTarget[], requests: ResolvableRequest[], ratePerSecond: number): RedirectLoad {
  const agents = new Map(targets.map((t) => [t.name, new Agent({ keepAlive: true, maxSockets: MAX_INFLIGHT })]));
  const open = new Map<string, number>();
  let tallies = new Map<string, TargetTally>();
  const excluded = new Set<string>();
  const inflight = new Set<Promise<void>>();
  let next = 0;
  let owed = 0;
  let stopped = false;

  const tallyOf = (name: string): TargetTally => {
    let tally = tallies.get(name);
    if (!tally) {
      tally = { sent: 0, skipped: 0, ok: 0, shed: 0, failed: 0, samples: [] };
      tallies.set(name, tally);
    }
    return tally;
  };

  const sendOne = (target: LoadTarget, req: ResolvableRequest): Promise<void> => {
    const tally = tallyOf(target.name);
    tally.sent += 1;
    const fail = (why: string): void => {
      tally.failed += 1;
      if (tally.samples.length < MAX_SAMPLES) tally.samples.push(`${new Date().toISOString()} ${req.path}: ${why}`);
    };
    return new Promise<void>((resolve) => {
      const r = request(
        {
          host: target.host,
          port: target.port,
          path: req.path,
          agent: agents.get(target.name),
          headers: { 'X-Real-IP': req.clientIp },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (chunk: string) => {
            if (body.length < 80) body += chunk;
          });
          res.on('end', () => {
            const location = res.headers.location ?? '';
            if (res.statusCode === 302 && req.locations.includes(location)) tally.ok += 1;
            else if (res.statusCode === 503 && body === SHED_BODY && res.headers['retry-after'] !== undefined) tally.shed += 1;
            else fail(`${res.statusCode} ${location}${body.slice(0, 80)}`);
            resolve();
          });
          res.on('error', (err) => {
            fail(err.message);
            resolve();
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error('timeout')));
      r.on('error', (err) => {
        fail(err.message);
        resolve();
      });
      r.end();
    });
  };

  const started = Date.now();
  let sentTotal = 0;
  const timer = setInterval(() => {
    // Catch up on the schedule (timers drift under load): the rate is per wall-clock second.
    owed = Math.floor(((Date.now() - started) * ratePerSecond) / 1000) - sentTotal;
    const live = targets.filter((t) => !excluded.has(t.name));
    for (; owed > 0 && live.length > 0; owed--) {
      // Every target gets every request: the request index advances once per round of targets.
      const target = live[next % live.length]!;
      const req = requests[Math.floor(next / live.length) % requests.length]!;
      next += 1;
      sentTotal += 1;
      // A starved generator must not build a queue whose answers arrive seconds late.
      if ((open.get(target.name) ?? 0) >= MAX_INFLIGHT) {
        tallyOf(target.name).skipped += 1;
        continue;
      }
      open.set(target.name, (open.get(target.name) ?? 0) + 1);
      const p = sendOne(target, req);
      inflight.add(p);
      void p.then(() => {
        inflight.delete(p);
        open.set(target.name, (open.get(target.name) ?? 1) - 1);
      });
    }
    if (live.length === 0) sentTotal += Math.max(0, owed);
  }, TICK_MS);

  return {
    tally: () => tallies,
    reset: () => {
      tallies = new Map();
    },
    exclude: (name) => excluded.add(name),
    include: (name) => excluded.delete(name),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inflight]);
      for (const agent of agents.values()) agent.destroy();
    },
  };
}
