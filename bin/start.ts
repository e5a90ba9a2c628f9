// `npm start`: the whole local stack for a newcomer. Starts FerretDB (unless MONGODB_URL is
// set), one Hazelcast member (unless HZ_MEMBERS is set) and `--nodes N` nodes on ports
// 4000/4001, 4002/4003, …; prefixes their logs, restarts crashed children with backoff,
// and stops everything on Ctrl-C.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HAZELCAST_JAR, startHazelcastMember } from '../cluster/hazelcast/member.js';
import { DEFAULTS } from '../domain/config.js';
import { startFerretDb } from '../persistence/ferretdb.js';
import { REPO_ROOT, spawnNode } from './stack/node-process.js';
import { localSecretKeyBase } from './stack/secret.js';
import { SupervisedChild } from './stack/supervised-child.js';

const FERRETDB_PORT = 27017;
const HAZELCAST_PORT = 5701;
const MAX_NODES = 20;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm start [-- --nodes N] [--base-port 4000]\n`);
  process.exit(2);
}

function parseCount(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) usage(`--${name} must be a number from 1 to ${max}`);
  return Number(raw);
}

const { values } = (() => {
  try {
    return parseArgs({ options: { nodes: { type: 'string' }, 'base-port': { type: 'string' } }, strict: true });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
})();
const nodeCount = parseCount(values.nodes, 'nodes', 1, MAX_NODES);
const basePort = parseCount(values['base-port'], 'base-port', DEFAULTS.port, 65000);

const say = (line: string): void => {
  process.stdout.write(`[stack] ${line}\n`);
};
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const dataDir = join(REPO_ROOT, 'data');
mkdirSync(dataDir, { recursive: true });
const children: SupervisedChild[] = [];

async function main(): Promise<void> {
  const env: Record<string, string> = {
    SECRET_KEY_BASE: localSecretKeyBase(dataDir),
    HZ_CLUSTER_NAME: process.env.HZ_CLUSTER_NAME ?? DEFAULTS.hzClusterName,
  };

  if (process.env.MONGODB_URL) {
    say('using MongoDB at MONGODB_URL');
  } else {
    const ferretDir = join(dataDir, 'ferretdb');
    mkdirSync(ferretDir, { recursive: true });
    const ferret = new SupervisedChild({
      name: 'ferretdb',
      log: say,
      start: () => startFerretDb({ port: FERRETDB_PORT, dataDir: ferretDir, log: (l) => print(`[ferretdb] ${l}`) }),
    });
    await ferret.start();
    children.push(ferret);
    env.MONGODB_URL = `mongodb://127.0.0.1:${FERRETDB_PORT}/beamstack`;
    say(`FerretDB on 127.0.0.1:${FERRETDB_PORT} (data in data/ferretdb)`);
  }

  if (process.env.HZ_MEMBERS) {
    say('using the Hazelcast cluster at HZ_MEMBERS');
  } else {
    const member = new SupervisedChild({
      name: 'hazelcast',
      log: say,
      start: () =>
        startHazelcastMember({
          jarPath: HAZELCAST_JAR,
          clusterName: env.HZ_CLUSTER_NAME!,
          port: HAZELCAST_PORT,
          log: (l) => print(`[hazelcast] ${l}`),
        }),
    });
    say('starting a Hazelcast member (takes a few seconds)…');
    await member.start();
    children.push(member);
    env.HZ_MEMBERS = `127.0.0.1:${HAZELCAST_PORT}`;
    say(`Hazelcast member on 127.0.0.1:${HAZELCAST_PORT}, cluster "${env.HZ_CLUSTER_NAME}"`);
  }

  for (let i = 0; i < nodeCount; i += 1) {
    const port = basePort + 2 * i;
    const nodeEnv = { ...env, PORT: String(port), API_PORT: String(port + 1) };
    const node = new SupervisedChild({
      name: `node-${port}`,
      log: say,
      start: async () => spawnNode({ env: nodeEnv, prefix: `[node-${port}]`, output: print }),
    });
    await node.start();
    children.push(node);
    say(`node ${i + 1}/${nodeCount}: admin/app http://127.0.0.1:${port}  redirects http://127.0.0.1:${port + 1}`);
  }
  say('stack running; Ctrl-C stops everything');
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  // Nodes first (they hand over singletons and close sockets), then the stores.
  for (const child of [...children].reverse()) await child.stop();
  say('stopped');
  process.exit(0);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

main().catch(async (error: unknown) => {
  say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  for (const child of [...children].reverse()) await child.stop();
  process.exit(1);
});
