// The stack launcher itself (`npm start` = bin/start.ts): FerretDB, a Hazelcast member and
// two nodes on free ports (STACK_MONGO_PORT, STACK_HZ_PORT, --base-port) with its data in a
// temporary STACK_DATA_DIR; Ctrl-C (SIGINT) stops every child and leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { login, readyStatus } from '../support/http.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_TIMING } from '../support/node-env.js';
import { freePort, freePortBlock } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { clusterNodeNames, descendantsOf, isAlive } from './support.js';

const STACK_ENTRY = join(REPO_ROOT, 'bin/start.ts');

interface Stack {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Runs bin/start.ts in its own process group (so a failing test can kill all of it). */
function runStack(args: string[], env: Record<string, string>): Stack {
  const base: Record<string, string | undefined> = { ...process.env };
  // The launcher must start its own stores and make its own secret.
  for (const name of ['MONGODB_URL', 'HZ_MEMBERS', 'SECRET_KEY_BASE', 'CONSOLE_SOCKET']) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', STACK_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const collect = (line: string): void => {
    output.push(line);
    if (process.env.NODE_TEST_VERBOSE === '1') process.stderr.write(`${line}\n`);
  };
  createInterface({ input: child.stdout }).on('line', collect);
  createInterface({ input: child.stderr }).on('line', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

function killGroup(stack: Stack | undefined): void {
  if (stack?.child.pid === undefined || stack.child.exitCode !== null || stack.child.signalCode !== null) return;
  try {
    process.kill(-stack.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('stack launcher (npm start) @integration', function () {
  this.timeout(30_000);

  describe('two nodes, then Ctrl-C', () => {
    let stack: Stack | undefined;
    let dataDir = '';
    let basePort = 0;

    before(async function () {
      this.timeout(240_000);
      dataDir = await mkdtemp(join(tmpdir(), 'beamstack-stack-'));
      basePort = await freePortBlock(4);
      const [mongoPort, hzPort] = [await freePort(), await freePort()];
      stack = runStack(['--nodes', '2', '--base-port', String(basePort)], {
        STACK_MONGO_PORT: String(mongoPort),
        STACK_HZ_PORT: String(hzPort),
        STACK_DATA_DIR: dataDir,
        HZ_CLUSTER_NAME: `stacktest-${randomBytes(3).toString('hex')}`,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        LOG_LEVEL: 'warn',
        ...TEST_TIMING,
      });
      const bases = [basePort, basePort + 1, basePort + 2, basePort + 3].map((p) => `http://127.0.0.1:${p}`);
      await waitFor(
        'both nodes of the stack to be ready',
        180_000,
        async () => {
          if (stack!.child.exitCode !== null) throw new Error(`the stack exited:\n${stack!.output.slice(-20).join('\n')}`);
          const answers = await Promise.all(bases.map(readyStatus));
          return answers.every((a) => a?.status === 200) ? true : undefined;
        },
        { everyMs: 500 },
      );
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') process.stderr.write(`${stack?.output.slice(-40).join('\n')}\n`);
    });

    after(async function () {
      this.timeout(30_000);
      killGroup(stack);
      await rm(dataDir, { recursive: true, force: true });
    });

    it('runs two nodes that list each other, with the stores and the secret in STACK_DATA_DIR', async () => {
      const token = await login(`http://127.0.0.1:${basePort}`);
      const names = await waitFor('both nodes in the list', 10_000, async () => {
        const seen = await clusterNodeNames(`http://127.0.0.1:${basePort + 2}`, token);
        return seen.length === 2 ? seen : undefined;
      });
      expect(names).to.have.length(2);
      expect(existsSync(join(dataDir, 'secret_key_base'))).to.equal(true);
      expect(existsSync(join(dataDir, 'ferretdb'))).to.equal(true);
      expect(existsSync(join(dataDir, `console-${basePort}.sock`))).to.equal(true);
      expect(stack!.output).to.include(
        `[stack] node 2/2: admin/app http://127.0.0.1:${basePort + 2}  redirects http://127.0.0.1:${basePort + 3}`,
      );
    });

    it('stops every child on SIGINT, exits 0 and leaves no process or socket behind', async function () {
      this.timeout(60_000);
      const pid = stack!.child.pid!;
      const descendants = descendantsOf(pid);
      expect(descendants.length, 'ferretdb, java and two nodes').to.be.at.least(4);
      process.kill(pid, 'SIGINT');
      expect(await stack!.exited).to.equal(0);
      await waitFor('every child to be gone', 5_000, async () => (descendants.some(isAlive) ? undefined : true));
      expect(stack!.output.join('\n')).to.not.match(/restarting in/);
      expect(existsSync(join(dataDir, `console-${basePort}.sock`))).to.equal(false);
      expect(await readyStatus(`http://127.0.0.1:${basePort}`)).to.equal(undefined);
    });
  });

  describe('refusing to start', () => {
    const blockers: Server[] = [];
    after(() => {
      for (const server of blockers) server.close();
    });

    it('exits 2 on a bad option or a bad STACK_* variable, naming it', async function () {
      this.timeout(60_000);
      const badOption = runStack(['--nodes', '0'], {});
      const badPort = runStack([], { STACK_HZ_PORT: 'x5701' });
      expect(await badOption.exited).to.equal(2);
      expect(badOption.output.join('\n')).to.match(/--nodes must be a number from 1 to 20/);
      expect(await badPort.exited).to.equal(2);
      expect(badPort.output.join('\n')).to.match(/STACK_HZ_PORT: must be a port/);
    });

    it('exits 1 naming java when it is not on PATH, and stops the FerretDB it had started', async function () {
      this.timeout(60_000);
      const dir = await mkdtemp(join(tmpdir(), 'beamstack-stack-'));
      try {
        const [mongoPort, hzPort, basePort] = [await freePort(), await freePort(), await freePortBlock(2)];
        const stack = runStack(['--base-port', String(basePort)], {
          STACK_DATA_DIR: dir,
          STACK_MONGO_PORT: String(mongoPort),
          STACK_HZ_PORT: String(hzPort),
          PATH: join(dir, 'no-tools-here'),
          JAVA_HOME: '',
        });
        expect(await stack.exited, stack.output.join('\n')).to.equal(1);
        expect(stack.output.join('\n')).to.match(
          new RegExp(
            `\\[stack\\] cannot start: Hazelcast member on 127\\.0\\.0\\.1:${hzPort}: java was not found.*install a Java 17 runtime`,
          ),
        );
        expect(await readyStatus(`http://127.0.0.1:${mongoPort}`)).to.equal(undefined);
        expect(descendantsOf(stack.child.pid!)).to.deep.equal([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('exits 1 with a clear reason when a node port is taken, before starting anything', async function () {
      this.timeout(60_000);
      const basePort = await freePortBlock(2);
      const blocker = createServer();
      blockers.push(blocker);
      await new Promise<void>((resolve) => blocker.listen(basePort + 1, '127.0.0.1', resolve));
      const dir = await mkdtemp(join(tmpdir(), 'beamstack-stack-'));
      try {
        const stack = runStack(['--base-port', String(basePort)], { STACK_DATA_DIR: dir });
        expect(await stack.exited).to.equal(1);
        expect(stack.output.join('\n')).to.include(`port ${basePort + 1} is already in use`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
