// The steady redirect load of the multi-host test: load_testing/checked-load.ts (fixed rate,
// open loop, every answer checked, keep-alive connections per node) run in its own child
// process so it neither shares the test's event loop nor starves with it; counts and
// latencies come back as JSON.
import { startChildTask, type ChildTask } from '../../../load_testing/child-runner.js';
import type { CheckedLoadSnapshot, CheckedRequest, TargetTally } from '../../../load_testing/checked-load.js';
import { LatencyHistogram } from '../../../load_testing/histogram.js';

export interface LoadTarget {
  name: string;
  host: string;
  port: number;
}

export type ResolvableRequest = CheckedRequest;

export interface TargetFigures extends Omit<TargetTally, 'latency'> {
  /** Requests that got an HTTP answer (right or wrong). */
  answered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadFigures {
  windowS: number;
  /** The scheduled rate. */
  offeredRps: number;
  /** Requests sent / window. */
  sentRps: number;
  /** Requests answered / window. */
  achievedRps: number;
  missed: number;
  late: number;
  maxSendLagMs: number;
  /** The longest the generator's own event loop stood still (ms). */
  generatorMaxStallMs: number;
  /** CPU the generator process used per second of the window (ms/s). */
  generatorCpuMsPerS: number;
  /** Over every target: from when a request was due to its answer. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  targets: Map<string, TargetFigures>;
}

export interface RedirectLoad {
  figures(): Promise<LoadFigures>;
  /** Counts afresh from now (after the warm-up). */
  reset(): Promise<void>;
  /** Sends nothing more to `name` once this resolves (a host about to go down). */
  exclude(name: string): Promise<void>;
  /** Stops, waits for the answers still due, and returns the figures. */
  stop(): Promise<LoadFigures>;
  /** Ends the child at once (a test that failed before stop()). */
  kill(): void;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

function figuresOf(snapshot: CheckedLoadSnapshot): LoadFigures {
  const all = new LatencyHistogram();
  const targets = new Map<string, TargetFigures>();
  for (const [name, { latency, ...tally }] of Object.entries(snapshot.targets)) {
    const h = LatencyHistogram.fromJSON(latency);
    all.merge(h);
    targets.set(name, { ...tally, answered: h.count, p50Ms: h.percentile(50), p99Ms: h.percentile(99), maxMs: h.maxMs });
  }
  const per = (key: 'sent' | 'missed' | 'late' | 'answered'): number => sum([...targets.values()].map((t) => t[key]));
  const windowS = Math.max(snapshot.windowS, 1e-3);
  return {
    windowS: snapshot.windowS,
    offeredRps: snapshot.rps,
    sentRps: per('sent') / windowS,
    achievedRps: per('answered') / windowS,
    missed: per('missed'),
    late: per('late'),
    maxSendLagMs: snapshot.maxSendLagMs,
    generatorMaxStallMs: snapshot.maxOwnStallMs,
    generatorCpuMsPerS: snapshot.cpuMs / windowS,
    p50Ms: all.percentile(50),
    p99Ms: all.percentile(99),
    maxMs: all.maxMs,
    targets,
  };
}

/** Starts the load in a child; resolves once it is sending. */
export async function startRedirectLoad(targets: LoadTarget[], requests: ResolvableRequest[], rps: number): Promise<RedirectLoad> {
  const task: ChildTask<CheckedLoadSnapshot> = startChildTask(
    {
      kind: 'checked',
      spec: { targets: targets.map((t) => ({ name: t.name, url: `http://${t.host}:${t.port}` })), requests, rps },
    },
    { timeoutMs: 900_000 },
  );
  task.result.catch(() => undefined); // awaited by stop(); a child that dies early fails the next control call
  await task.control({ op: 'snapshot' });
  return {
    figures: async () => figuresOf(await task.control({ op: 'snapshot' })),
    reset: async () => void (await task.control({ op: 'reset' })),
    exclude: async (name) => void (await task.control({ op: 'exclude', name })),
    async stop() {
      task.release();
      return figuresOf(await task.result);
    },
    kill: () => task.kill(),
  };
}
