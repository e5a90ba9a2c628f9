// A real cluster for integration tests: one FerretDB, Hazelcast member(s) and N Beamstack node
// processes (bin/node.ts), each on free loopback ports, with a unique cluster name and
// database. Helpers log in and call the admin API; everything is stopped in `after`.
//
//   const h = useClusterHarness({ nodes: 2 });      // inside a describe
//   it('…', async () => { const res = await h.api(h.nodes[0]!, 'GET', '/api/v1/regions'); });
//
// HARNESS_VERBOSE=1 streams every node's output; otherwise the tail of each node's output is
// printed when a test fails.
import { randomBytes } from 'node:crypto';
import { startTestMongo, type TestMongo } from './ferretdb.js';
import { startTestHazelcast, type TestHazelcast } from './hazelcast.js';
import { login, request } from './http.js';
import { nodeEnv } from './node-env.js';
import { nodeGroup, waitReady, type TestNode } from './nodes.js';
import { waitFor } from './wait.js';

const TAIL_LINES = 60;

export interface ClusterHarnessOptions {
  /** Nodes started in `before`: a count (default 1), or one env override per node. */
  nodes?: number | Array<Record<string, string>>;
  /** Hazelcast members (default 1). */
  members?: number;
  /** Extra environment for every node (e.g. TRUSTED_PROXIES). */
  env?: Record<string, string>;
  /** Node LOG_LEVEL (default warn). */
  logLevel?: string;
  /** How long a node may take to report /ready (default 60 s). */
  readyTimeoutMs?: number;
  /** useClusterHarness: the timeout of the `before` hook that starts everything (default 180 s). */
  startTimeoutMs?: number;
}

export type HarnessNode = TestNode;

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
  /** The domain model generation `node` routes with (GET /api/v1/routing/explain for `ip`). */
  servedGeneration(node: HarnessNode, ip?: string): Promise<number | undefined>;
  /** Waits (up to 5 s) until `node` routes with `generation` or a later one. */
  waitForGeneration(node: HarnessNode, generation: number, ip?: string): Promise<void>;
  /** The last lines of every node (for failure reports). */
  recentOutput(lines?: number): string;
  stop(): Promise<void>;
}

export async function startClusterHarness(opts: ClusterHarnessOptions = {}): Promise<ClusterHarness> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const runId = randomBytes(3).toString('hex');
  const group = nodeGroup();
  const stores = await Promise.allSettled([startTestMongo({ dbPrefix: 'harness' }), startTestHazelcast(opts.members ?? 1)]);
  const mongo = stores[0].status === 'fulfilled' ? stores[0].value : undefined;
  const hazelcast = stores[1].status === 'fulfilled' ? stores[1].value : undefined;

  const stopAll = async (): Promise<void> => {
    await group.stopAll().catch(() => undefined);
    await hazelcast?.stop().catch(() => undefined);
    await mongo?.stop().catch(() => undefined);
  };

  if (mongo === undefined || hazelcast === undefined) {
    await stopAll();
    throw stores.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason ?? new Error('the stores did not start');
  }
  const baseEnv = nodeEnv(
    { mongodbUrl: mongo.mongodbUrl, hzMembers: hazelcast.addresses.join(','), clusterName: hazelcast.clusterName },
    opts.logLevel ?? 'warn',
  );
  let launched = 0;
  let token: string | undefined;

  function launch(env: Record<string, string> = {}): Promise<TestNode> {
    launched += 1;
    return group.launch({ ...baseEnv, NODE_NAME: `n${launched}-${runId}@127.0.0.1`, ...opts.env, ...env });
  }

  async function addNode(env: Record<string, string> = {}): Promise<TestNode> {
    const node = await launch(env);
    await waitReady(node, readyTimeoutMs);
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
    const res = await request(`${node.adminUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    return { status: res.status, headers: res.headers, text: res.text, body: res.json };
  }

  async function servedGeneration(node: HarnessNode, ip = '127.0.0.1'): Promise<number | undefined> {
    const res = await api(node, 'GET', `/api/v1/routing/explain?ip=${ip}&path=/vod/x`);
    return res.body?.view?.generation as number | undefined;
  }

  const harness: ClusterHarness = {
    mongo,
    hazelcast,
    nodes: group.nodes,
    mongodbUrl: mongo.mongodbUrl,
    addNode,
    waitReady: (node, timeoutMs = readyTimeoutMs) => waitReady(node, timeoutMs),
    async restartNode(node) {
      await group.restart(node);
      await waitReady(node, readyTimeoutMs);
    },
    async adminToken() {
      token ??= await login(group.nodes[0]!.adminUrl);
      return token;
    },
    login: (node, email, password) => login(node.adminUrl, email, password),
    api,
    servedGeneration,
    async waitForGeneration(node, generation, ip) {
      await waitFor(
        `${node.name} to load generation ${generation}`,
        5000,
        async () => ((await servedGeneration(node, ip)) ?? -1) >= generation,
        { everyMs: 20, retryErrors: false },
      );
    },
    recentOutput: (lines = TAIL_LINES) => group.recentOutput(lines),
    stop: stopAll,
  };

  const overrides = typeof opts.nodes === 'object' ? opts.nodes : Array.from({ length: opts.nodes ?? 1 }, () => ({}));
  try {
    // The first node alone runs the migrations and creates the admin; the others start once it is ready.
    if (overrides.length > 0) await addNode(overrides[0]);
    const rest: TestNode[] = [];
    for (const override of overrides.slice(1)) rest.push(await launch(override));
    await Promise.all(rest.map((node) => waitReady(node, readyTimeoutMs)));
  } catch (err) {
    if (group.nodes.length > 0) process.stderr.write(`${group.recentOutput(TAIL_LINES)}\n`);
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
    this.timeout(opts.startTimeoutMs ?? 180_000);
    started = await startClusterHarness(opts);
    // nodes is the live array addNode appends to.
    Object.assign(holder, started);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && started) process.stderr.write(`${started.recentOutput()}\n`);
  });
  after(async function () {
    this.timeout(60_000);
    await started?.stop();
  });
  return holder;
}
