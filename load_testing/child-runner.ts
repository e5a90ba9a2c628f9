// Runs a load task (load-child.ts) in a child Node process, so the load generator has its own
// event loop (and, on a 2-core machine, can use the other core). Talks over the IPC channel:
// one task in, progress messages and one result out; a task that takes commands while it runs
// (the checked load) answers each `control` message with a `control-reply`. Every child is
// killed if this process exits, and by `killAllChildren()`.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChatHoldSpec, ChatHoldResult, ChatLoadSpec, ChatLoadRaw } from './chat-load.js';
import type { CheckedLoadCommand, CheckedLoadSnapshot, CheckedLoadSpec } from './checked-load.js';
import type { HttpLoadRaw, HttpLoadSpec } from './http-load.js';

const CHILD_ENTRY = fileURLToPath(new URL('./load-child.ts', import.meta.url));

export type LoadTask =
  | { kind: 'http'; spec: HttpLoadSpec }
  | { kind: 'chat'; spec: ChatLoadSpec }
  | { kind: 'hold'; spec: ChatHoldSpec }
  | { kind: 'checked'; spec: CheckedLoadSpec };

export interface TaskResults {
  http: HttpLoadRaw;
  chat: ChatLoadRaw;
  hold: ChatHoldResult;
  checked: CheckedLoadSnapshot;
}

/** Child → parent. */
export type ChildMessage =
  | { type: 'progress'; data: Record<string, unknown> }
  | { type: 'result'; result: unknown }
  | { type: 'failed'; error: string }
  | { type: 'control-reply'; id: number; reply?: CheckedLoadSnapshot; error?: string };

/** Parent → child. */
export type ParentMessage =
  { type: 'task'; task: LoadTask; niceness?: number } | { type: 'release' } | { type: 'control'; id: number; command: CheckedLoadCommand };

export interface ChildTask<T> {
  readonly pid: number | undefined;
  readonly result: Promise<T>;
  /** Sends `release`: a hold or checked task ends, an HTTP task stops early with what it measured. */
  release(): void;
  /** A command to a checked task while it runs; resolves with the child's reply. */
  control(command: CheckedLoadCommand): Promise<CheckedLoadSnapshot>;
  kill(): void;
}

const children = new Set<ChildProcess>();
let exitHook = false;

export function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

export function startChildTask<K extends LoadTask['kind']>(
  task: Extract<LoadTask, { kind: K }>,
  opts: {
    timeoutMs: number;
    onProgress?: (data: Record<string, unknown>) => void;
    extraArgs?: string[];
    /**
     * Scheduling niceness of the generator (0 when absent). A generator that stands in for remote
     * clients lowers it so it does not take the CPU from the nodes it measures on a shared
     * machine (docs/performance.md, "How it measures").
     */
    niceness?: number;
  },
): ChildTask<TaskResults[K]> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', killAllChildren);
  }
  const child = fork(CHILD_ENTRY, opts.extraArgs ?? [], {
    execArgv: ['--import', 'tsx'],
    // A generator measures: V8 coverage (c8 in `npm test`) would cost it ~1.5× the CPU per request.
    env: { ...process.env, NODE_V8_COVERAGE: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  children.add(child);
  const replies = new Map<number, { resolve: (s: CheckedLoadSnapshot) => void; reject: (e: Error) => void }>();
  let nextControl = 0;
  const result = new Promise<TaskResults[K]>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`load child (${task.kind}) gave no result within ${Math.round(opts.timeoutMs / 1000)} s; killed`)));
    }, opts.timeoutMs);
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      if (message.type === 'progress') opts.onProgress?.(message.data);
      else if (message.type === 'result') settle(() => resolve(message.result as TaskResults[K]));
      else if (message.type === 'failed') settle(() => reject(new Error(`load child (${task.kind}): ${message.error}`)));
      else if (message.type === 'control-reply') {
        const waiting = replies.get(message.id);
        replies.delete(message.id);
        if (message.reply !== undefined) waiting?.resolve(message.reply);
        else waiting?.reject(new Error(`load child (${task.kind}): ${message.error ?? 'no reply'}`));
      }
    });
    child.once('error', (error) => settle(() => reject(error)));
    child.once('exit', (code, signal) => {
      children.delete(child);
      for (const waiting of replies.values()) waiting.reject(new Error(`load child (${task.kind}) exited`));
      replies.clear();
      settle(() => reject(new Error(`load child (${task.kind}) exited (${signal ?? `code ${code}`}) without a result`)));
    });
  });
  child.send({ type: 'task', task, ...(opts.niceness !== undefined ? { niceness: opts.niceness } : {}) } satisfies ParentMessage);
  return {
    pid: child.pid,
    result,
    release: () => {
      if (child.connected) child.send({ type: 'release' } satisfies ParentMessage);
    },
    control: (command) =>
      new Promise<CheckedLoadSnapshot>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`load child (${task.kind}) is gone`));
        const id = nextControl++;
        replies.set(id, { resolve, reject });
        child.send({ type: 'control', id, command } satisfies ParentMessage);
      }),
    kill: () => child.kill('SIGKILL'),
  };
}

/** Runs a task in a child and waits for its result. */
export function runInChild<K extends LoadTask['kind']>(
  task: Extract<LoadTask, { kind: K }>,
  timeoutMs: number,
  onProgress?: (data: Record<string, unknown>) => void,
): Promise<TaskResults[K]> {
  return startChildTask(task, { timeoutMs, ...(onProgress !== undefined ? { onProgress } : {}) }).result;
}
