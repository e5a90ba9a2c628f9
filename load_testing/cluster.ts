// A throw-away Beamstack cluster for benchmarks: FerretDB and one Hazelcast member on free
// loopback ports, plus nodes started like `npm start` starts them (bin/stack spawnNode).
// Everything lives in a temp folder and goes away with `stop()`.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode, type NodeProcess } from '../bin/stack/node-process.js';
import { HAZELCAST_JAR, startHazelcastMember, type HazelcastMemberProcess } from '../cluster/hazelcast/member.js';
import { FERRETDB_BIN, startFerretDb, type FerretDbProcess } from '../persistence/ferretdb.js';
import { freePort } from '../test/support/ports.js';
import { AdminClient } from '../bin/ctl/admin-client.js';

export interface BenchNode {
  name: string;
  pid: number | undefined;
  /** http://127.0.0.1:<PORT> (admin API, chat socket) */
  admin: string;
  /** http://127.0.0.1:<API_PORT> (client redirects) */
  api: string;
  apiPort: number;
  /** The last lines the node printed. */
  output: string[];
  process: NodeProcess;
}

export interface BenchCluster {
  nodes: BenchNode[];
  adminEmail: string;
  /** MONGODB_URL of the nodes (benchmarks that seed data directly). */
  mongodbUrl: string;
  /** A bearer token of the bootstrap admin (logs in on first use). */
  token(): Promise<string>;
  /** Starts one more node on the same stores and waits until it is ready. */
  addNode(): Promise<BenchNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes: number;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Print every line the nodes and the member print. */
  verbose?: boolean;
  /** The Hazelcast member's -Xmx (its default otherwise, 512m). */
  hazelcastHeap?: string;
}

const OUTPUT_KEPT = 40;

// Nodes still running when this process exits are killed, so no node outlives a crashed run.
const running = new Set<NodeProcess>();
let exitHook = false;
function track(proc: NodeProcess): void {
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const p of running) p.kill('SIGKILL');
    });
  }
}
const READY_TIMEOUT_MS = 90_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Resident memory of a process in bytes (Linux /proc), or undefined. */
export async function rssBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

export async function startCluster(opts: ClusterOptions): Promise<BenchCluster> {
  const log = opts.log ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'beamstack-bench-'));
  const suffix = randomBytes(3).toString('hex');
  const adminEmail = `bench-${suffix}@example.test`;
  const adminPassword = randomBytes(18).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  let ferret: FerretDbProcess | undefined;
  let member: HazelcastMemberProcess | undefined;
  const nodes: BenchNode[] = [];
  let cachedToken: string | undefined;

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.process.stop().catch(() => node.process.kill('SIGKILL'))));
    await member?.stop().catch(() => member?.kill());
    await ferret?.stop().catch(() => ferret?.kill());
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };

  try {
    const ferretPort = await freePort();
    log(`starting FerretDB on 127.0.0.1:${ferretPort}`);
    ferret = await startFerretDb({ binPath: process.env.FERRETDB_BIN ?? FERRETDB_BIN, port: ferretPort, dataDir: join(dir, 'ferret') });
    const hzPort = await freePort();
    const clusterName = `bench-${process.pid}-${suffix}`;
    log(`starting a Hazelcast member on 127.0.0.1:${hzPort}`);
    member = await startHazelcastMember({
      jarPath: HAZELCAST_JAR,
      clusterName,
      port: hzPort,
      dataDir: join(dir, 'hz'),
      ...(opts.hazelcastHeap !== undefined ? { heap: opts.hazelcastHeap } : {}),
      ...(opts.verbose === true ? { log: (line: string) => process.stderr.write(`[hz] ${line}\n`) } : {}),
    });

    const baseEnv: Record<string, string> = {
      MONGODB_URL: `mongodb://127.0.0.1:${ferretPort}/bench_${suffix}`,
      HZ_MEMBERS: `127.0.0.1:${hzPort}`,
      HZ_CLUSTER_NAME: clusterName,
      SECRET_KEY_BASE: secret,
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: process.env.BENCH_NODE_LOG_LEVEL ?? 'warn',
      ...opts.env,
    };

    const addNode = async (): Promise<BenchNode> => {
      const port = await freePort();
      const apiPort = await freePort();
      const name = `bench${nodes.length + 1}-${port}@127.0.0.1`;
      const output: string[] = [];
      const proc = spawnNode({
        env: {
          ...baseEnv,
          PORT: String(port),
          API_PORT: String(apiPort),
          NODE_NAME: name,
          CONSOLE_SOCKET: join(dir, `console-${port}.sock`),
        },
        prefix: `[${name}]`,
        output: (line) => {
          output.push(line);
          if (output.length > OUTPUT_KEPT) output.shift();
          if (opts.verbose === true) process.stderr.write(`${line}\n`);
        },
      });
      track(proc);
      const node: BenchNode = {
        name,
        pid: proc.pid,
        admin: `http://127.0.0.1:${port}`,
        api: `http://127.0.0.1:${apiPort}`,
        apiPort,
        output,
        process: proc,
      };
      nodes.push(node);
      log(`starting node ${name}`);
      let exited = false;
      void proc.exited.then(() => (exited = true));
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (exited) throw new Error(`node ${name} exited during start:\n${output.slice(-15).join('\n')}`);
        if ((await answers200(`${node.admin}/ready`)) && (await answers200(`${node.api}/ready`))) break;
        if (Date.now() > deadline)
          throw new Error(`node ${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output.slice(-15).join('\n')}`);
        await sleep(250);
      }
      return node;
    };

    for (let i = 0; i < opts.nodes; i++) await addNode();

    return {
      nodes,
      adminEmail,
      mongodbUrl: baseEnv['MONGODB_URL']!,
      async token() {
        cachedToken ??= await new AdminClient(nodes[0]!.admin, { email: adminEmail, password: adminPassword }).token();
        return cachedToken;
      },
      addNode,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
