// data/, the console socket folder and the stack's SECRET_KEY_BASE file are private to the
// node's user (docs/security.md, "Files and sockets").
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Db } from 'mongodb';
import type { ActorSystem } from '../../actors/kernel/index.js';
import { startConsoleServer } from '../../bin/node/console-server.js';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { localSecretKeyBase } from '../../bin/stack/secret.js';
import { loadConfig } from '../../domain/config.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { captureLogger } from '../support/capture-logger.js';
import { freePort, freePortBlock } from '../support/ports.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

/**
 * Runs `npm start` (bin/start.ts) until it exits; it must stop before starting anything. On
 * free ports all the same, and killed (whole process group) if it is still running after 10 s.
 */
async function runStackUntilExit(dataDir: string): Promise<{ code: number | null; output: string }> {
  const [mongoPort, hzPort, basePort] = [await freePort(), await freePort(), await freePortBlock(2)];
  const env: Record<string, string | undefined> = {
    ...process.env,
    STACK_DATA_DIR: dataDir,
    STACK_MONGO_PORT: String(mongoPort),
    STACK_HZ_PORT: String(hzPort),
  };
  for (const name of ['SECRET_KEY_BASE', 'MONGODB_URL', 'HZ_MEMBERS']) delete env[name];
  const args = ['--import', 'tsx', join(REPO_ROOT, 'bin/start.ts'), '--base-port', String(basePort)];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(killer);
  return { code, output };
}

describe('private files and folders', function () {
  this.timeout(20_000);
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bs-priv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a new data folder and its secret file are 0700 and 0600', () => {
    const dataDir = join(dir, 'data');
    localSecretKeyBase(dataDir, {});
    expect(modeOf(dataDir)).to.equal(0o700);
    expect(modeOf(join(dataDir, 'secret_key_base'))).to.equal(0o600);
  });

  it('a secret file other users can read is refused, naming the file and the fix', () => {
    const file = join(dir, 'secret_key_base');
    writeFileSync(file, 'x'.repeat(64));
    chmodSync(file, 0o644);
    expect(() => localSecretKeyBase(dir, {})).to.throw(/secret_key_base has mode 0644.*chmod 600/);
  });

  it('npm start tightens an existing data folder to 0700 and exits 2 on a readable secret file', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'secret_key_base'), 'y'.repeat(64), { mode: 0o640 });
    chmodSync(join(dataDir, 'secret_key_base'), 0o640);
    const { code, output } = await runStackUntilExit(dataDir);
    expect(code, output).to.equal(2);
    expect(output).to.match(/configuration error: SECRET_KEY_BASE file: .*secret_key_base has mode 0640/);
    expect(modeOf(dataDir)).to.equal(0o700);
  });

  it("the console socket's folder is tightened to 0700", async () => {
    const socketDir = join(dir, 'sockets');
    mkdirSync(socketDir);
    chmodSync(socketDir, 0o755);
    const config = loadConfig({ SECRET_KEY_BASE: 'a-secret-of-at-least-thirty-two-characters', CONSOLE_SOCKET: join(socketDir, 'c.sock') });
    const server = await startConsoleServer({
      system: {} as ActorSystem,
      store: {} as ClusterStore,
      mongo: {} as Db,
      config,
      log: captureLogger(),
    });
    try {
      expect(server, 'console started').to.not.equal(undefined);
      expect(modeOf(socketDir)).to.equal(0o700);
      expect(modeOf(join(socketDir, 'c.sock'))).to.equal(0o600);
    } finally {
      await server?.close();
    }
  });
});
