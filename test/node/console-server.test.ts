// The node's console server in-process, with fakes in scope: socket file handling (mode,
// stale file, refusals) and evaluation over the socket.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Db } from 'mongodb';
import type { ActorSystem } from '../../actors/kernel/index.js';
import { startConsoleServer, type ConsoleServer } from '../../bin/node/console-server.js';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { loadConfig, type NodeConfig } from '../../domain/config.js';
import type { ClusterStore, LiveNode } from '../../domain/ports/cluster-store.js';
import { captureLogger } from '../support/capture-logger.js';
import { consoleSession } from '../support/console.js';
import { waitFor } from '../support/wait.js';

const LIVE: LiveNode = {
  name: 'n1@host',
  host: '127.0.0.1',
  port: 4000,
  apiPort: 4001,
  startedAt: '2026-01-01T00:00:00.000Z',
  lastHeartbeatAt: '2026-01-01T00:00:01.000Z',
};

const fakeStore = {
  kind: 'local',
  membership: { nodes: async () => [LIVE] },
  leases: { all: async () => [{ name: 'health-checker', holder: 'n1@host', expiresAt: '2026-01-01T00:00:09.000Z' }] },
} as unknown as ClusterStore;
const fakeSystem = { spawn: () => undefined, stop: async () => {} } as unknown as ActorSystem;
const fakeDb = { databaseName: 'fake', collection: () => ({}) } as unknown as Db;

function configWith(socket: string): NodeConfig {
  return loadConfig({
    SECRET_KEY_BASE: 'a-secret-that-must-never-show-up-in-the-console',
    ADMIN_EMAIL: 'root@example.test',
    ADMIN_PASSWORD: 'another-secret-password',
    MONGODB_URL: 'mongodb://user:mongo-pass@127.0.0.1:27017/db',
    CONSOLE_SOCKET: socket,
    NODE_NAME: 'n1@host',
  });
}

describe('node console server', () => {
  let dir = '';
  const servers: ConsoleServer[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bs-con-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function start(path: string, log = captureLogger()): Promise<ConsoleServer | undefined> {
    const server = await startConsoleServer({ system: fakeSystem, store: fakeStore, mongo: fakeDb, config: configWith(path), log });
    if (server) servers.push(server);
    return server;
  }

  it('listens on a 0600 socket and evaluates what is typed, with the node in scope and secrets hidden', async () => {
    const path = join(dir, 'sub', 'console-4000.sock');
    const server = await start(path);
    expect(server?.path).to.equal(path);
    const stat = statSync(path);
    expect(stat.isSocket()).to.equal(true);
    expect(stat.mode & 0o777).to.equal(0o600);

    const out = await consoleSession(path, [
      '6 * 7',
      'config.secretKeyBase',
      'config.adminPassword',
      'config.mongodbUrl',
      '(await nodes()).map((n) => `${n.name}:${n.singletons}`)',
      'typeof system.spawn + "/" + store.kind + "/" + mongo.databaseName + "/" + typeof users.create',
      'throw new Error("still alive")',
      '1 + 1',
    ]);
    expect(out).to.match(/^Beamstack console on node n1@host/);
    expect(out).to.include('n1@host> 42');
    expect(out).to.include("'[hidden]'");
    expect(out).to.not.include('a-secret-that-must-never-show-up');
    expect(out).to.not.include('another-secret-password');
    expect(out).to.not.include('mongo-pass');
    expect(out).to.include("[ 'n1@host:health-checker' ]");
    expect(out).to.include("'function/local/fake/function'");
    expect(out).to.include('Uncaught Error: still alive');
    expect(out).to.include('n1@host> 2');
  });

  it('removes the socket file on close', async () => {
    const path = join(dir, 'c.sock');
    const server = await start(path);
    await server!.close();
    expect(existsSync(path)).to.equal(false);
  });

  it('replaces a stale socket left by a node that was killed', async function () {
    this.timeout(15_000);
    const path = join(dir, 'stale.sock');
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}); setInterval(() => {}, 1000)`,
    ]);
    await waitFor('the stale socket', 5000, async () => (existsSync(path) ? true : undefined));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(existsSync(path)).to.equal(true);

    const server = await start(path);
    expect(server).to.not.equal(undefined);
    expect(await consoleSession(path, ['"fresh"'])).to.include("'fresh'");
  });

  it('leaves a live console of another process and a regular file alone, saying why', async () => {
    const live = join(dir, 'live.sock');
    await start(live);
    const log = captureLogger();
    expect(await start(live, log)).to.equal(undefined);
    expect(log.lines.map((l) => l.msg).join('\n')).to.match(/another process already serves a console at .*live\.sock/);

    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'keep me');
    const log2 = captureLogger();
    expect(await start(file, log2)).to.equal(undefined);
    expect(log2.lines.map((l) => l.msg).join('\n')).to.match(/exists and is not a socket/);
    expect(statSync(file).isFile()).to.equal(true);
  });

  it("loading the node's modules leaves node:domain unloaded (it slows every EventEmitter); the REPL loads with a session", function () {
    this.timeout(30_000);
    const script =
      "await import('./bin/node/start-node.ts'); console.log(process.moduleLoadList.includes('NativeModule domain') ? 'domain' : 'no domain');";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(child.stdout.trim(), child.stderr).to.equal('no domain');
  });

  it('is off when CONSOLE_SOCKET is empty, and refuses a path too long for a socket', async () => {
    const log = captureLogger();
    expect(await start('', log)).to.equal(undefined);
    expect(await start(join(dir, 'x'.repeat(120), 'c.sock'), log)).to.equal(undefined);
    const text = log.lines.map((l) => l.msg).join('\n');
    expect(text).to.include('console disabled (CONSOLE_SOCKET is empty)');
    expect(text).to.match(/longer than 103 bytes/);
  });
});
