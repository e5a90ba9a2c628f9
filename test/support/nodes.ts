// Beamstack node processes for tests (bin/node.ts through the stack launcher's spawnNode) on
// free loopback ports, with their output captured. A NodeGroup tracks the nodes it launched
// so a suite stops all of them at the end (call stopAll/killAll in `after`).
// NODE_TEST_VERBOSE=1 (or HARNESS_VERBOSE=1) streams every line the nodes print.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode, type NodeProcess } from '../../bin/stack/node-process.js';
import { readyStatus } from './http.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

const verbose = process.env.NODE_TEST_VERBOSE === '1' || process.env.HARNESS_VERBOSE === '1';

/** Lines of a node's output kept (the oldest half goes when it is exceeded). */
const OUTPUT_LINES_KEPT = 50_000;

export interface TestNode {
  readonly name: string;
  readonly port: number;
  readonly apiPort: number;
  /** `http://<ADMIN_HOST>:<PORT>` (admin API, chat, /ready); ADMIN_HOST defaults to 127.0.0.1. */
  readonly adminUrl: string;
  /** `http://<HOST>:<API_PORT>` (redirects, /ready). */
  readonly clientUrl: string;
  readonly consoleSocket: string;
  /** What it runs with, PORT, API_PORT, NODE_NAME and CONSOLE_SOCKET filled in. */
  readonly env: Record<string, string>;
  /** The running process (a new one after NodeGroup.restart). */
  readonly process: NodeProcess;
  /** The lines it printed (stdout and stderr, every run): all of them up to OUTPUT_LINES_KEPT, then the latest. */
  readonly output: string[];
  /** Resolves with the current process's exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** True once the current process has exited. */
  hasExited(): boolean;
}

class LaunchedNode implements TestNode {
  readonly adminUrl: string;
  readonly clientUrl: string;
  readonly output: string[] = [];
  process!: NodeProcess;
  exited!: Promise<number | null>;
  private done = false;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly apiPort: number,
    readonly consoleSocket: string,
    readonly env: Record<string, string>,
  ) {
    // HOST/ADMIN_HOST: a node bound to another loopback address (a "host" of test/cluster/hosts.test.ts).
    this.adminUrl = `http://${env.ADMIN_HOST ?? '127.0.0.1'}:${port}`;
    this.clientUrl = `http://${env.HOST ?? '127.0.0.1'}:${apiPort}`;
    this.spawn();
  }

  hasExited(): boolean {
    return this.done;
  }

  spawn(): void {
    const proc = spawnNode({
      env: this.env,
      prefix: `[${this.name}]`,
      output: (line) => {
        this.output.push(line);
        // Bounded: a node stuck printing in a loop must not take the test process's heap with it.
        if (this.output.length > OUTPUT_LINES_KEPT) this.output.splice(0, this.output.length - OUTPUT_LINES_KEPT / 2);
        if (verbose) process.stderr.write(`${line}\n`);
      },
    });
    this.process = proc;
    this.done = false;
    this.exited = proc.exited.then((code) => {
      if (this.process === proc) this.done = true;
      return code;
    });
  }
}

export interface NodeGroup {
  /** The nodes launched since the last stopAll/killAll (a live array). */
  readonly nodes: TestNode[];
  /** Starts a node, on free ports unless env gives PORT/API_PORT; does not wait for it to be ready. */
  launch(env: Record<string, string>): Promise<TestNode>;
  /** Stops the node (SIGTERM) and starts it again with the same env, so on the same ports. */
  restart(node: TestNode): Promise<void>;
  /** The last lines of every node, for a failing test's report. */
  recentOutput(lines?: number): string;
  /** SIGTERM to every node (SIGKILL after the launcher's grace period); removes their socket folder. */
  stopAll(): Promise<void>;
  /** SIGKILL to every node; removes their socket folder. */
  killAll(): Promise<void>;
}

export function nodeGroup(): NodeGroup {
  const nodes: LaunchedNode[] = [];
  // A promise, so nodes launched in parallel share one folder.
  let socketDir: Promise<string> | undefined;

  const own = (node: TestNode): LaunchedNode => {
    const found = nodes.find((n) => n === node);
    if (!found) throw new Error(`${node.name} is not a node of this group`);
    return found;
  };

  const removeSockets = async (): Promise<void> => {
    const dir = socketDir;
    socketDir = undefined;
    if (dir !== undefined) await rm(await dir, { recursive: true, force: true });
  };

  return {
    nodes,
    async launch(env) {
      // A short folder name: a unix socket path must stay under ~100 bytes.
      socketDir ??= mkdtemp(join(tmpdir(), 'bs-sock-'));
      const dir = await socketDir;
      const [freePort, freeApiPort] = await freePorts(2);
      // PORT/API_PORT given by a test are passed as they are (bad-config tests give bad ones).
      const port = env.PORT ?? String(freePort);
      const apiPort = env.API_PORT ?? String(freeApiPort);
      const name = env.NODE_NAME ?? `test-${port}@127.0.0.1`;
      const consoleSocket = env.CONSOLE_SOCKET ?? join(dir, `console-${port}.sock`);
      const fullEnv = { ...env, PORT: port, API_PORT: apiPort, NODE_NAME: name, CONSOLE_SOCKET: consoleSocket };
      const node = new LaunchedNode(name, Number(port), Number(apiPort), consoleSocket, fullEnv);
      nodes.push(node);
      return node;
    },
    async restart(node) {
      const launched = own(node);
      await launched.process.stop();
      launched.spawn();
    },
    recentOutput(lines = 30) {
      return nodes.map((node) => `--- ${node.name}\n${node.output.slice(-lines).join('\n')}`).join('\n');
    },
    async stopAll() {
      const all = nodes.splice(0);
      await Promise.all(all.map((node) => node.process.stop().catch(() => node.process.kill())));
      await removeSockets();
    },
    async killAll() {
      const all = nodes.splice(0);
      for (const node of all) node.process.kill('SIGKILL');
      await Promise.all(all.map((node) => node.exited));
      await removeSockets();
    },
  };
}

/** Waits until /ready answers 200 on both ports; fails early if the node exits. */
export async function waitReady(node: TestNode, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${node.name} to be ready`,
    timeoutMs,
    async () => {
      if (node.hasExited()) throw new Error(`${node.name} exited:\n${node.output.slice(-20).join('\n')}`);
      const [admin, client] = await Promise.all([readyStatus(node.adminUrl), readyStatus(node.clientUrl)]);
      return admin?.status === 200 && client?.status === 200;
    },
    { retryErrors: false },
  );
}
