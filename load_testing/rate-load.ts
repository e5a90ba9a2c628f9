// A fixed-rate, open-loop redirect load with rategen (load_testing/rategen, Go, built by
// bin/setup-infra.sh into .infra/bin/rategen), for the measurements whose subject is the latency
// while the nodes' cores are busy (B6). Each request's latency counts from when it was due.
// Why not autocannon: at niceness 10 on saturated cores a generator measures its own scheduling
// delays, and autocannon needs ~30 % of a core for 1 000 req/s; rategen needs ~11 % and runs at
// niceness 0 (docs/performance.md, "B6: the generator").
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from './histogram.js';
import { RunTally, type HttpLoadRaw } from './http-load.js';

export const RATEGEN_BIN = fileURLToPath(new URL('../.infra/bin/rategen', import.meta.url));

export interface RateLoadSpec {
  /** Base URL, e.g. http://127.0.0.1:4001 */
  target: string;
  rps: number;
  /** At most this long; `release` ends it earlier. */
  durationMs: number;
  /** Keep-alive connections at most; a request waiting for one counts the wait in its latency. */
  connections: number;
  /** Cycled through in order. */
  requests: ReadonlyArray<{ path: string; ip?: string }>;
  timeoutS?: number;
  /** Requests due in this first part are sent but not counted (connections opening). */
  warmupMs?: number;
}

export interface RateLoad {
  /** Ends the run now: nothing more is sent, the answers still due are awaited. */
  release(): void;
  result: Promise<HttpLoadRaw>;
}

/** Starts the load at once; `niceness` sets the generator's priority (all its threads, via nice(1)). */
export function startRateLoad(spec: RateLoadSpec, options: { niceness?: number; bin?: string } = {}): RateLoad {
  let stopRequested = false;
  let stop: () => void = () => {
    stopRequested = true;
  };
  const result = (async (): Promise<HttpLoadRaw> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rategen-'));
    try {
      const targets = path.join(dir, 'targets.tsv');
      const output = path.join(dir, 'results.tsv');
      await writeFile(targets, spec.requests.map((r) => `${r.path}\t${r.ip ?? ''}\n`).join(''));
      const startedAt = new Date().toISOString();
      const url = new URL(spec.target);
      const argv = [
        options.bin ?? RATEGEN_BIN,
        `-addr=${url.host}`,
        `-rate=${spec.rps}`,
        `-duration=${Math.ceil(spec.durationMs)}ms`,
        `-connections=${spec.connections}`,
        `-targets=${targets}`,
        `-output=${output}`,
        `-timeout=${spec.timeoutS ?? 10}s`,
        `-warmup=${spec.warmupMs ?? 0}ms`,
      ];
      await runToEnd(options.niceness === undefined ? argv : ['nice', '-n', String(options.niceness), ...argv], (kill) => {
        stop = () => kill('SIGINT'); // rategen stops sending, waits for what is due, writes its results
        if (stopRequested) stop();
      });
      return await summarise(output, startedAt, spec.connections, (spec.warmupMs ?? 0) * 1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return { release: () => stop(), result };
}

/**
 * Runs `argv` (one thread for the Go scheduler: less CPU); rejects on a non-zero exit. A signal
 * is sent only once rategen has said "ready" (its handler installed): one sent earlier, e.g. a
 * release right after the start, waits for it instead of killing the process.
 */
function runToEnd(argv: readonly string[], onStart: (kill: (signal: NodeJS.Signals) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOMAXPROCS: '1' } });
    let ready = false;
    let pending: NodeJS.Signals | undefined;
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (ready) return;
      stdout += chunk.toString();
      if (!stdout.includes('ready\n')) return;
      ready = true;
      if (pending !== undefined) child.kill(pending);
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
    child.on('error', (error) => reject(new Error(`${argv[0]} could not start (${error.message}): run npm run setup`)));
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`rategen ended with ${code ?? signal}: ${stderr.trim()}`)),
    );
    onStart((signal) => {
      if (ready) child.kill(signal);
      else pending = signal;
    });
  });
}

/** Reads rategen's results (due µs, latency µs, status, error per line) into the raw shape of an HTTP run. */
async function summarise(output: string, startedAt: string, connections: number, warmupUs: number): Promise<HttpLoadRaw> {
  const latency = new LatencyHistogram();
  const tally = new RunTally();
  let lastDueUs = warmupUs;
  for await (const line of createInterface({ input: createReadStream(output) })) {
    if (line === '') continue;
    const [dueText, latencyText, statusText, error = ''] = line.split('\t');
    const dueUs = Number(dueText);
    const ms = Number(latencyText) / 1000;
    const status = Number(statusText);
    lastDueUs = Math.max(lastDueUs, dueUs);
    const second = Math.floor((dueUs - warmupUs) / 1e6);
    if (status === 0) {
      tally.error(second, errorKey(error), /timeout/i.test(error));
      continue;
    }
    latency.record(ms);
    tally.answer(second, status, ms);
  }
  const { responses, statusCounts, errors, errorTotal, timeouts, timeline } = tally;
  const durationS = (lastDueUs - warmupUs) / 1e6;
  return { startedAt, durationS, connections, responses, statusCounts, errors, errorTotal, timeouts, latency: latency.toJSON(), timeline };
}

/** An error's kind: Go's text names the addresses, which differ from one connection to the next. */
function errorKey(error: string): string {
  const kind = error.replace(/^(dial|read|write) tcp [^:]*:\d+(->[^:]*:\d+)?: /, '$1: ');
  return kind.length > 80 ? `${kind.slice(0, 77)}...` : kind;
}
