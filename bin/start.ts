// `npm start`: the whole local stack for a newcomer. Starts FerretDB (unless MONGODB_URL is
// set), one Hazelcast member (unless HZ_MEMBERS is set) and `--nodes N` nodes on ports
// 4000/4001, 4002/4003, …; prefixes their logs, restarts crashed children with backoff,
// and stops everything on Ctrl-C.
// STACK_MONGO_PORT (27017), STACK_HZ_PORT (5701) and STACK_DATA_DIR (./data) move the stores
// and the data, e.g. to run a second stack (or the tests) next to the first.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HAZELCAST_JAR, startHazelcastMember } from '../cluster/hazelcast/member.js';
import { DEFAULTS } from '../domain/config.js';
import { startFerretDb } from '../persistence/ferretdb.js';
import { REPO_ROOT, spawnNode } from './stack/node-process.js';
import { ensurePrivateDir } from './stack/private-path.js';
import { localSecretKeyBase, SecretFileError } from './stack/secret.js';
import { SupervisedChild } from './stack/supervised-child.js';
import { errorText } from '../domain/errors.js';

const DEFAULT_FERRETDB_PORT = 27017;
const DEFAULT_HAZELCAST_PORT = 5701;
const MAX_NODES = 20;
const USAGE = `usage: npm start [-- --nodes N] [--base-port 4000]
environment: MONGODB_URL, HZ_MEMBERS (use your own stores), STACK_MONGO_PORT (27017),
             STACK_HZ_PORT (5701), STACK_DATA_DIR (./data); the nodes' variables pass through`;

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseCount(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) usage(`--${name} must be a number from 1 to ${max}`);
  return Number(raw);
}

function envPort(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535)
    usage(`configuration error: ${name}: must be a port (1-65535), got "${raw}"`);
  return Number(raw);
}

const { values } = (() => {
  try {
    return parseArgs({ options: { nodes: { type: 'string' }, 'base-port': { type: 'string' } }, strict: true });
  } catch (error) {
    return usage(errorText(error));
  }
})();
const nodeCount = parseCount(values.nodes, 'nodes', 1, MAX_NODES);
const basePort = parseCount(values['base-port'], 'base-port', DEFAULTS.port, 65535 - 2 * MAX_NODES);
const ferretDbPort = envPort('STACK_MONGO_PORT', DEFAULT_FERRETDB_PORT);
const hazelcastPort = envPort('STACK_HZ_PORT', DEFAULT_HAZELCAST_PORT);
const rawDataDir = process.env.STACK_DATA_DIR?.trim() || 'data';
const dataDir = isAbsolute(rawDataDir) ? rawDataDir : resolve(REPO_ROOT, rawDataDir);

const say = (line: string): void => {
  process.stdout.write(`[stack] ${line}\n`);
};
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** True when something on this machine already listens on 127.0.0.1:port. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolvePort(err.code === 'EADDRINUSE'));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolvePort(false)));
  });
}

ensurePrivateDir(dataDir);
const secretKeyBase = ((): string => {
  try {
    return localSecretKeyBase(dataDir);
  } catch (error) {
    if (error instanceof SecretFileError) usage(`configuration error: ${error.message}`);
    throw error;
  }
})();
const children: SupervisedChild[] = [];
let stopping = false;

/** Starts a child that the shutdown will stop (even while it is starting); false once stopping. */
async function launch(child: SupervisedChild): Promise<boolean> {
  if (stopping) return false;
  children.push(child);
  await child.start();
  return !stopping;
}

async function main(): Promise<void> {
  const env: Record<string, string> = {
    SECRET_KEY_BASE: secretKeyBase,
    HZ_CLUSTER_NAME: process.env.HZ_CLUSTER_NAME ?? DEFAULTS.hzClusterName,
  };

  const nodePorts = Array.from({ length: nodeCount }, (_, i) => basePort + 2 * i);
  for (const port of nodePorts.flatMap((p) => [p, p + 1])) {
    if (await portInUse(port)) {
      throw new Error(`port ${port} is already in use (another stack running?); pick other node ports with --base-port`);
    }
  }

  if (process.env.MONGODB_URL) {
    say('using MongoDB at MONGODB_URL');
  } else {
    if (await portInUse(ferretDbPort)) {
      throw new Error(
        `port ${ferretDbPort} is already in use, so FerretDB cannot start there: set MONGODB_URL to use the server on it, or STACK_MONGO_PORT to start FerretDB on another port`,
      );
    }
    const ferretDir = join(dataDir, 'ferretdb');
    mkdirSync(ferretDir, { recursive: true });
    const ferret = new SupervisedChild({
      name: 'ferretdb',
      log: say,
      start: () => startFerretDb({ port: ferretDbPort, dataDir: ferretDir, log: (l) => print(`[ferretdb] ${l}`) }),
    });
    if (!(await launch(ferret))) return;
    env.MONGODB_URL = `mongodb://127.0.0.1:${ferretDbPort}/beamstack`;
    say(`FerretDB on 127.0.0.1:${ferretDbPort} (data in ${ferretDir})`);
  }

  if (process.env.HZ_MEMBERS) {
    say('using the Hazelcast cluster at HZ_MEMBERS');
  } else {
    if (await portInUse(hazelcastPort)) {
      throw new Error(
        `port ${hazelcastPort} is already in use, so the Hazelcast member cannot start there: set HZ_MEMBERS (and HZ_CLUSTER_NAME) to use that cluster, or STACK_HZ_PORT to start the member on another port`,
      );
    }
    const member = new SupervisedChild({
      name: 'hazelcast',
      log: say,
      start: () =>
        startHazelcastMember({
          jarPath: HAZELCAST_JAR,
          clusterName: env.HZ_CLUSTER_NAME!,
          port: hazelcastPort,
          log: (l) => print(`[hazelcast] ${l}`),
        }),
    });
    say('starting a Hazelcast member (takes a few seconds)…');
    if (!(await launch(member))) return;
    env.HZ_MEMBERS = `127.0.0.1:${hazelcastPort}`;
    say(`Hazelcast member on 127.0.0.1:${hazelcastPort}, cluster "${env.HZ_CLUSTER_NAME}"`);
  }

  for (const [i, port] of nodePorts.entries()) {
    const consoleSocket = process.env.CONSOLE_SOCKET === '' ? '' : join(dataDir, `console-${port}.sock`);
    const nodeEnv = { ...env, PORT: String(port), API_PORT: String(port + 1), CONSOLE_SOCKET: consoleSocket };
    const node = new SupervisedChild({
      name: `node-${port}`,
      log: say,
      start: async () => spawnNode({ env: nodeEnv, prefix: `[node-${port}]`, output: print }),
    });
    if (!(await launch(node))) return;
    say(`node ${i + 1}/${nodeCount}: admin/app http://127.0.0.1:${port}  redirects http://127.0.0.1:${port + 1}`);
  }
  say('stack running; Ctrl-C stops everything');
}

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  for (const child of children) child.holdRestarts();
  // Nodes first (they hand over singletons and close sockets), then the stores.
  for (const child of [...children].reverse()) await child.stop();
  say('stopped');
  process.exit(0);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

main().catch(async (error: unknown) => {
  say(`cannot start: ${errorText(error)}`);
  for (const child of children) child.holdRestarts();
  for (const child of [...children].reverse()) await child.stop();
  process.exit(1);
});
