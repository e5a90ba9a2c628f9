// A real cluster for integration tests: one FerretDB, Hazelcast member(s) and N Beamstack node
// processes (bin/node.ts), each on free loopback ports, with a unique cluster name and
// database. Helpers log in and call the admin API; everything is stopped in `after`.
//
//   const h = useClusterHarness({ nodes: 2 });      // inside a describe
//   it('…', async () => { const res = await h.api(h.nodes[0]!, 'GET', '/api/v1/regions'); });
//
// HARNESS_VERBOSE=1 streams every node's output; otherwise the tail of each node's output is
// printed when a test fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnNode, type NodeProcess } from '../../bin/stack/node-process.js';
import { startTestMongo, type TestMongo } from './ferretdb.js';
import { startTestHazelcast, type TestHazelcast } from './hazelcast.js';
import { freePorts } from './ports.js';

export const HARNESS_ADMIN_EMAIL = 'admin@harness.test';
export const HARNESS_ADMIN_PASSWORD = 'harness-admin-password';
const SECRET_KEY_BASE = `harness-secret-${'x'.repeat(40)}`;
const TAIL_LINES = 60;

export interface ClusterHarnessOptions {
  /** Nodes started in `before` (default 1). */
  nodes?: number;
  /** Hazelcast members (default 1). */
  members?: number;
  /** Extra environment for every node (e.g. TRUSTED_PROXIES). */
  env?: Record<string, string>;
  /** Node LOG_LEVEL (default warn). */
  logLevel?: string;
  /** How long a node may take to report /ready (default 60 s). */
  readyTimeoutMs?: number;
}

export interface HarnessNode {
  readonly name: string;
  readonly port: number;
  readonly apiPort: number;
  /** http://127.0.0.1:<PORT> */
  readonly adminUrl: string;
  /** http://127.0.0.1:<API_PORT> */
  readonly clientUrl: string;
  readonly env: Record<string, string>;
  process: NodeProcess;
  /** The last lines the node printed. */
  readonly output: string[];
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON (undefined when the body is not JSON); tests read arbitrary fields. */
  body: any;
}

export interface ApiOptions {
  /** Bearer token; default: the bootstrap admin's (logged in once). `null` sends none. */
  token?: string | null;
  /** JSON body. */
  body?: unknown;
  /** Sent as is, with `contentType`. */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ClusterHarness {
  readonly mongo: TestMongo;
  readonly hazelcast: TestHazelcast;
  readonly nodes: HarnessNode[];
  /** mongodb://…/<db> the nodes use. */
  readonly mongodbUrl: string;
  /** Starts one more node and waits for /ready. */
  addNode(env?: Record<string, string>): Promise<HarnessNode>;
  /** Stops (SIGTERM) and starts the node again on the same ports; waits for /ready. */
  restartNode(node: HarnessNode): Promise<void>;
  waitReady(node: HarnessNode, timeoutMs?: number): Promise<void>;
  /** A token for the bootstrap admin (cached per harness). */
  adminToken(): Promise<string>;
  login(node: HarnessNode, email: string, password: string): Promise<string>;
  api(node: HarnessNode, method: string, path: string, opts?: ApiOptions): Promise<ApiResponse>;
  /** The tail of every node's output (for failure reports). */
  outputTail(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startClusterHarness(opts: ClusterHarnessOptions = {}): Promise<ClusterHarness> {
  const verbose = process.env.HARNESS_VERBOSE === '1';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const runId = randomBytes(3).toString('hex');
  const socketDir = await mkdtemp(join(tmpdir(), 'beamstack-harness-'));
  let mongo: TestMongo | undefined;
  let hazelcast: TestHazelcast | undefined;
  const nodes: HarnessNode[] = [];
  let token: string | undefined;

  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.process.stop().catch(() => n.process.kill())));
    await hazelcast?.stop().catch(() => undefined);
    await mongo?.stop().catch(() => undefined);
    await rm(socketDir, { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    [mongo, hazelcast] = await Promise.all([startTestMongo({ dbPrefix: 'harness' }), startTestHazelcast(opts.members ?? 1)]);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const mongodbUrl = `${mongo.url.replace(/\/?$/, '/')}${mongo.dbName}`;

  function spawn(node: HarnessNode): NodeProcess {
    const child = spawnNode({
      env: node.env,
      prefix: `[${node.name}]`,
      output: (line) => {
        node.output.push(line);
        if (node.output.length > TAIL_LINES) node.output.shift();
        if (verbose) process.stderr.write(`${line}\n`);
      },
    });
    return child;
  }

  async function waitReady(node: HarnessNode, timeoutMs = readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void node.process.exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited) throw new Error(`node ${node.name} exited during start:\n${node.output.join('\n')}`);
      try {
        const res = await fetch(`${node.adminUrl}/ready`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`node ${node.name} not ready after ${timeoutMs} ms:\n${node.output.join('\n')}`);
      await sleep(200);
    }
  }

  async function addNode(env: Record<string, string> = {}): Promise<HarnessNode> {
    const [port, apiPort] = await freePorts(2);
    const name = `n${nodes.length + 1}-${runId}@127.0.0.1`;
    const nodeEnv: Record<string, string> = {
      NODE_NAME: name,
      HOST: '127.0.0.1',
      PORT: String(port),
      API_PORT: String(apiPort),
      MONGODB_URL: mongodbUrl,
      HZ_MEMBERS: hazelcast!.addresses.join(','),
      HZ_CLUSTER_NAME: hazelcast!.clusterName,
      SECRET_KEY_BASE,
      ADMIN_EMAIL: HARNESS_ADMIN_EMAIL,
      ADMIN_PASSWORD: HARNESS_ADMIN_PASSWORD,
      LOG_LEVEL: opts.logLevel ?? 'warn',
      HEARTBEAT_INTERVAL_MS: '500',
      NODE_DOWN_AFTER_MS: '3000',
      CONSOLE_SOCKET: join(socketDir, `console-${port}.sock`),
      ...opts.env,
      ...env,
    };
    const node: HarnessNode = {
      name,
      port: port!,
      apiPort: apiPort!,
      adminUrl: `http://127.0.0.1:${port}`,
      clientUrl: `http://127.0.0.1:${apiPort}`,
      env: nodeEnv,
      output: [],
      process: undefined as unknown as NodeProcess,
    };
    node.process = spawn(node);
    nodes.push(node);
    await waitReady(node);
    return node;
  }

  async function api(node: HarnessNode, method: string, path: string, options: ApiOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.token === undefined ? await harness.adminToken() : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${node.adminUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  async function login(node: HarnessNode, email: string, password: string): Promise<string> {
    const res = await api(node, 'POST', '/api/v1/sessions', { token: null, body: { email, password } });
    if (res.status !== 200) throw new Error(`login as ${email} failed: ${res.status} ${res.text}`);
    return res.body.token as string;
  }

  const harness: ClusterHarness = {
    mongo,
    hazelcast,
    nodes,
    mongodbUrl,
    addNode,
    waitReady,
    async restartNode(node) {
      await node.process.stop();
      node.process = spawn(node);
      await waitReady(node);
    },
    async adminToken() {
      token ??= await login(nodes[0]!, HARNESS_ADMIN_EMAIL, HARNESS_ADMIN_PASSWORD);
      return token;
    },
    login,
    api,
    outputTail: () => nodes.map((n) => `--- ${n.name} ---\n${n.output.join('\n')}`).join('\n'),
    stop: stopAll,
  };

  try {
    // One after the other: the first node runs the migrations and creates the admin.
    for (let i = 0; i < (opts.nodes ?? 1); i++) await addNode();
  } catch (err) {
    await stopAll();
    throw err;
  }
  return harness;
}

/**
 * Registers before/after hooks in the current describe that start a harness for the suite
 * and stop it. Read the returned object's fields inside tests (filled in by `before`).
 */
export function useClusterHarness(opts: ClusterHarnessOptions = {}): ClusterHarness {
  const holder = {} as ClusterHarness;
  let started: ClusterHarness | undefined;
  before(async function () {
    this.timeout(180_000);
    started = await startClusterHarness(opts);
    // Getters (nodes is mutated by addNode) are copied as the live objects they return.
    Object.assign(holder, started);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && started) process.stderr.write(`${started.outputTail()}\n`);
  });
  after(async function () {
    this.timeout(60_000);
    await started?.stop();
  });
  return holder;
}
