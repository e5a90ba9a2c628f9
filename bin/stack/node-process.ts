// Starts one Beamstack node as a child process (`bin/node.ts` through tsx). Used by the stack
// launcher and by tests that need real nodes.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pipeWithPrefix } from './prefix.js';
import type { RunningChild } from './supervised-child.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_ENTRY = fileURLToPath(new URL('../node.ts', import.meta.url));
/** SHUTDOWN_DRAIN_MS (5 s by default) plus the node's 10 s shutdown budget, plus a margin. */
const STOP_GRACE_MS = 20_000;

export interface NodeProcessOptions {
  env: Record<string, string>;
  /** Receives every output line of the node, already prefixed. */
  output?: (line: string) => void;
  prefix?: string;
}

export interface NodeProcess extends RunningChild {
  kill(signal?: NodeJS.Signals): void;
}

/**
 * V8's helper threads per node (parallel and concurrent GC, compilation): one core is left to
 * the main threads, at most V8's usual 4. With 4 on 2 cores, a parallel scavenge in one node
 * made 4 threads runnable at once and kept the other node's main thread — the one answering
 * redirects — waiting for a CPU (docs/performance.md, "B6: V8's helper threads").
 */
export function v8PoolSize(cpus: number): number {
  return Math.max(1, Math.min(4, cpus - 1));
}

/**
 * The cap on V8's young-generation semi-space, in MB (V8's default on 64 bits: 16). Loading a
 * generation parses ~100 000 records that all survive, so every scavenge during a load copies
 * nearly all of its semi-space: 8–16 ms pauses of the thread answering redirects at 16 MB, a
 * quarter of that at 4 (docs/performance.md, "B6: the young generation").
 */
export const MAX_SEMI_SPACE_MB = 4;

/** The node's command line after the node binary. */
export function nodeArgs(profDir: string | undefined, cpus = availableParallelism()): string[] {
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=2000'] : [];
  return [...prof, `--max-semi-space-size=${MAX_SEMI_SPACE_MB}`, `--v8-pool-size=${v8PoolSize(cpus)}`, '--import', 'tsx', NODE_ENTRY];
}

export function spawnNode(opts: NodeProcessOptions): NodeProcess {
  // From the node's own env or the launching process's (a bench run with CPU_PROF_DIR set).
  const profDir = opts.env.CPU_PROF_DIR ?? process.env.CPU_PROF_DIR;
  const child = spawn(process.execPath, nodeArgs(profDir), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = opts.output ?? (() => {});
  const prefix = opts.prefix ?? `[${opts.env.NODE_NAME ?? 'node'}]`;
  pipeWithPrefix(child.stdout, prefix, output);
  pipeWithPrefix(child.stderr, prefix, output);

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });

  return {
    pid: child.pid,
    exited,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
