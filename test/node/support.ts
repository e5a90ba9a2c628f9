// Real processes for the node end-to-end tests: FerretDB and a Hazelcast member on free
// loopback ports, and nodes started with the stack launcher's spawnNode. Every process
// started here is tracked and killed by `stopAllNodes()` (call it in `after`/`afterEach`).
// Set NODE_TEST_VERBOSE=1 to see every line the nodes print.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HAZELCAST_JAR, startHazelcastMember, type HazelcastMemberProcess } from '../../cluster/hazelcast/member.js';
import { FERRETDB_BIN, startFerretDb, type FerretDbProcess } from '../../persistence/ferretdb.js';
import { REPO_ROOT, spawnNode, type NodeProcess } from '../../bin/stack/node-process.js';
import { freePort } from '../support/ports.js';

export const ADMIN_EMAIL = 'ops-admin@example.test';
export const ADMIN_PASSWORD = 'correct-horse-battery';
/** Membership timing for tests: a killed node is gone after ~3-4 s. */
export const TEST_TIMING = { HEARTBEAT_INTERVAL_MS: '500', NODE_DOWN_AFTER_MS: '3000' } as const;

const verbose = process.env.NODE_TEST_VERBOSE === '1';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; fails naming `what` after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- stores

export interface TestFerret {
  port: number;
  dataDir: string;
  /** Server URL plus a database unique to this test file. */
  mongodbUrl: string;
  process: FerretDbProcess | undefined;
  /** Starts FerretDB on the same port and data directory (after stop/kill, or a first start). */
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

/** A FerretDB on a free port; `started: false` only reserves the port and directory. */
export async function testFerret(opts: { started?: boolean } = {}): Promise<TestFerret> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'beamstack-node-ferret-'));
  const db = `nodetest_${randomBytes(4).toString('hex')}`;
  const ferret: TestFerret = {
    port,
    dataDir,
    mongodbUrl: `mongodb://127.0.0.1:${port}/${db}`,
    process: undefined,
    async start() {
      ferret.process = await startFerretDb({ binPath: process.env.FERRETDB_BIN ?? FERRETDB_BIN, port, dataDir });
    },
    async stop() {
      await ferret.process?.stop();
      ferret.process = undefined;
    },
    async kill() {
      const running = ferret.process;
      ferret.process = undefined;
      if (!running) return;
      running.kill();
      await running.exited;
    },
    async dispose() {
      await ferret.kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.started !== false) await ferret.start();
  return ferret;
}

export interface TestMember {
  port: number;
  clusterName: string;
  /** HZ_MEMBERS for it. */
  address: string;
  process: HazelcastMemberProcess | undefined;
  /** Starts a member on the same port (after kill, or a first start). */
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** One Hazelcast member with a unique cluster name on a free port; `started: false` reserves the port only. */
export async function testMember(opts: { started?: boolean } = {}): Promise<TestMember> {
  const port = await freePort();
  const clusterName = `nodetest-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Our own folder for its config files, removed by stop() (kill() keeps it for a restart).
  const dataDir = await mkdtemp(join(tmpdir(), 'beamstack-node-hz-'));
  const member: TestMember = {
    port,
    clusterName,
    address: `127.0.0.1:${port}`,
    process: undefined,
    async start() {
      member.process = await startHazelcastMember({
        jarPath: HAZELCAST_JAR,
        clusterName,
        port,
        dataDir,
        ...(verbose ? { log: (line: string) => process.stderr.write(`[hz:${port}] ${line}\n`) } : {}),
      });
    },
    async kill() {
      const running = member.process;
      member.process = undefined;
      if (!running) return;
      running.kill();
      await running.exited;
    },
    async stop() {
      const running = member.process;
      member.process = undefined;
      await running?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.started !== false) await member.start();
  return member;
}

// ---------------------------------------------------------------- nodes

export interface TestNode {
  name: string;
  port: number;
  apiPort: number;
  /** `http://127.0.0.1:<port>` */
  admin: string;
  /** `http://127.0.0.1:<apiPort>` */
  api: string;
  consoleSocket: string;
  process: NodeProcess;
  /** Every line the node printed so far (stdout and stderr). */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** True once the process has exited. */
  hasExited(): boolean;
}

const launched: TestNode[] = [];
let socketDir: string | undefined;

/** Env for a node on `stores`: test timings, bootstrap admin, quiet logs. Overrides win. */
export function nodeEnv(stores: { mongodbUrl: string; member: { address: string; clusterName: string } }): Record<string, string> {
  return {
    MONGODB_URL: stores.mongodbUrl,
    HZ_MEMBERS: stores.member.address,
    HZ_CLUSTER_NAME: stores.member.clusterName,
    SECRET_KEY_BASE: 'test-secret-key-base-of-at-least-32-characters',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'info',
    ...TEST_TIMING,
  };
}

/** Starts a node on free ports (does not wait for it to be ready). */
export async function launchNode(env: Record<string, string>): Promise<TestNode> {
  socketDir ??= await mkdtemp(join(tmpdir(), 'bs-sock-'));
  // PORT/API_PORT given by a test are passed as they are (bad-config tests give bad ones).
  const port = env.PORT ?? String(await freePort());
  const apiPort = env.API_PORT ?? String(await freePort());
  const name = env.NODE_NAME ?? `test-${port}@127.0.0.1`;
  const consoleSocket = env.CONSOLE_SOCKET ?? join(socketDir, `console-${port}.sock`);
  const output: string[] = [];
  const proc = spawnNode({
    env: { ...env, PORT: port, API_PORT: apiPort, NODE_NAME: name, CONSOLE_SOCKET: consoleSocket },
    prefix: `[${name}]`,
    output: (line) => {
      output.push(line);
      if (verbose) process.stderr.write(`${line}\n`);
    },
  });
  let done = false;
  const exited = proc.exited.then((code) => {
    done = true;
    return code;
  });
  const node: TestNode = {
    name,
    port: Number(port),
    apiPort: Number(apiPort),
    admin: `http://127.0.0.1:${port}`,
    api: `http://127.0.0.1:${apiPort}`,
    consoleSocket,
    process: proc,
    output,
    exited,
    hasExited: () => done,
  };
  launched.push(node);
  return node;
}

/** Kills every node started by launchNode that is still running, and removes their socket folder. */
export async function stopAllNodes(): Promise<void> {
  const nodes = launched.splice(0);
  for (const node of nodes) node.process.kill('SIGKILL');
  await Promise.all(nodes.map((node) => node.exited));
  if (socketDir !== undefined) await rm(socketDir, { recursive: true, force: true });
  socketDir = undefined;
}

/** The last lines of every launched node, for a failing test's report. */
export function recentOutput(lines = 30): string {
  return launched.map((node) => `--- ${node.name}\n${node.output.slice(-lines).join('\n')}`).join('\n');
}

// ---------------------------------------------------------------- HTTP

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export async function http(url: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

/** `/ready` status, or undefined while the port does not answer. */
export async function readyStatus(base: string): Promise<HttpAnswer | undefined> {
  try {
    return await http(`${base}/ready`);
  } catch {
    return undefined;
  }
}

/** Waits until /ready answers 200 on both ports; fails early if the node exits. */
export async function waitReady(node: TestNode, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${node.name} to be ready`, timeoutMs, async () => {
    if (node.hasExited()) throw new Error(`${node.name} exited:\n${node.output.slice(-20).join('\n')}`);
    const [admin, api] = await Promise.all([readyStatus(node.admin), readyStatus(node.api)]);
    return admin?.status === 200 && api?.status === 200 ? true : undefined;
  });
}

export async function login(base: string, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<string> {
  const answer = await http(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body as { token: string }).token;
}

/** Names in GET /api/v1/cluster/nodes, sorted. */
export async function clusterNodeNames(base: string, token: string): Promise<string[]> {
  const answer = await http(`${base}/api/v1/cluster/nodes`, { headers: { authorization: `Bearer ${token}` } });
  if (answer.status !== 200) throw new Error(`cluster nodes: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name).sort();
}

// ---------------------------------------------------------------- ports and processes

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free loopback ports (for --base-port, which takes port pairs). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 15_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => canListen(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free ports found`);
}

/** Pids of every living descendant of `pid` (from /proc). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- commands

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run -s <script> -- <args>` in the repo with `env` over this process's env. */
export function npmRun(
  script: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    const child = spawn('npm', ['run', '-s', script, '--', ...args], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
