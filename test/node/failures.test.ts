// A node facing bad configuration, a MongoDB or Hazelcast that is not there at start, and
// either of them dying while it runs: a clear message each time, never a crash, and it
// recovers by itself when the dependency comes back.
import { expect } from 'chai';
import { testFerret, type TestFerret } from '../support/ferretdb.js';
import { testMember, type TestMember } from '../support/hazelcast.js';
import { http, login, readyStatus } from '../support/http.js';
import { nodeEnv } from '../support/node-env.js';
import { nodeGroup, waitReady, type TestNode } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';
import { clusterNodeNames } from './support.js';

const STACK_LINE = /\bat .+:\d+:\d+\)?\s*$/;

/** Waits for a line of the node's output matching `pattern`; returns it. */
function waitForLine(node: TestNode, pattern: RegExp, timeoutMs: number): Promise<string> {
  return waitFor(`${node.name} to print ${pattern}`, timeoutMs, async () => node.output.find((line) => pattern.test(line)));
}

/** Waits until /ready on both ports is 503 and names `dependency`; /health stays 200 meanwhile. */
async function waitNotReady(node: TestNode, dependency: string, timeoutMs: number): Promise<void> {
  await waitFor(`${node.name} /ready to be 503 naming ${dependency}`, timeoutMs, async () => {
    const answers = await Promise.all([readyStatus(node.adminUrl), readyStatus(node.clientUrl)]);
    // The admin port answers JSON ({ message: "not ready: mongodb" }), the client port plain text.
    const text = (a: { body: unknown }): string => (typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    const named = answers.every((a) => a?.status === 503 && text(a).includes(`not ready: ${dependency}`));
    return named ? true : undefined;
  });
  expect((await http(`${node.adminUrl}/health`)).status).to.equal(200);
}

describe('node: failures and recovery @integration', function () {
  this.timeout(60_000);
  const nodes = nodeGroup();

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${nodes.recentOutput()}\n`);
  });
  after(async function () {
    this.timeout(30_000);
    await nodes.killAll();
  });

  describe('bad configuration', () => {
    const cases: Array<{ env: Record<string, string>; variable: string }> = [
      { env: { PORT: 'forty' }, variable: 'PORT' },
      { env: { MONGODB_URL: 'http://127.0.0.1:1/x' }, variable: 'MONGODB_URL' },
      { env: { SECRET_KEY_BASE: '' }, variable: 'SECRET_KEY_BASE' },
      { env: { HZ_MEMBERS: 'no-port-here' }, variable: 'HZ_MEMBERS' },
      { env: { HEARTBEAT_INTERVAL_MS: '500', NODE_DOWN_AFTER_MS: '1000' }, variable: 'NODE_DOWN_AFTER_MS' },
    ];

    it('stops with exit code 2 and one line naming the variable, without a stack trace', async function () {
      this.timeout(90_000);
      const base = nodeEnv({ mongodbUrl: 'mongodb://127.0.0.1:9/unused', hzMembers: '127.0.0.1:9', clusterName: 'unused' });
      const runs = await Promise.all(
        cases.map(async ({ env }) => {
          const node = await nodes.launch({ ...base, ...env });
          return { node, code: await node.exited };
        }),
      );
      runs.forEach(({ node, code }, i) => {
        const { variable } = cases[i]!;
        const text = node.output.join('\n');
        expect(code, text).to.equal(2);
        expect(text).to.match(new RegExp(`configuration error: ${variable}: `));
        expect(
          node.output.filter((line) => STACK_LINE.test(line)),
          text,
        ).to.deep.equal([]);
      });
    });
  });

  describe('the stores', () => {
    let ferret: TestFerret | undefined;
    let member: TestMember | undefined;
    let first: TestNode | undefined;
    const storesEnv = (): Record<string, string> =>
      nodeEnv({ mongodbUrl: ferret!.mongodbUrl, hzMembers: member!.address, clusterName: member!.clusterName });

    before(async function () {
      this.timeout(120_000);
      // FerretDB's port and directory are reserved, but it is not started yet.
      [ferret, member] = await Promise.all([testFerret({ started: false, dbPrefix: 'nodetest' }), testMember()]);
    });
    after(async function () {
      this.timeout(60_000);
      await nodes.killAll();
      await member?.stop();
      await ferret?.dispose();
    });

    it('waits for an unreachable MongoDB at start with a one-line reason, and starts when it comes', async function () {
      this.timeout(120_000);
      const env = storesEnv();
      first = await nodes.launch(env);
      const quitter = await nodes.launch(env);
      const line = await waitForLine(first, /MongoDB unreachable at .*\(MONGODB_URL\).*retrying in/, 60_000);
      expect(line).to.include(`127.0.0.1:${ferret!.port}`);
      await waitForLine(quitter, /MongoDB unreachable/, 60_000);
      expect(await readyStatus(first.adminUrl)).to.equal(undefined); // ports open only once it is up

      // SIGTERM while still waiting: a prompt, clean exit.
      quitter.process.kill('SIGTERM');
      expect(await quitter.exited).to.equal(0);

      await ferret!.start();
      await waitReady(first, 60_000);
      expect(first.hasExited()).to.equal(false);
      expect(first.output.filter((l) => STACK_LINE.test(l))).to.deep.equal([]);
    });

    it('answers /ready 503 naming mongodb while MongoDB is down, and 200 again when it is back', async function () {
      this.timeout(90_000);
      const node = first!;
      await ferret!.kill();
      await waitNotReady(node, 'mongodb', 20_000);
      await ferret!.start();
      await waitReady(node, 30_000);
      expect(node.hasExited()).to.equal(false);
    });

    it('answers /ready 503 naming cluster when the Hazelcast member dies, and 200 again once it is back on the same port', async function () {
      this.timeout(150_000);
      const node = first!;
      await member!.kill();
      await waitNotReady(node, 'cluster', 20_000);

      // A node started while the member is down waits for it too.
      const late = await nodes.launch(storesEnv());
      const line = await waitForLine(late, /cannot reach Hazelcast at .*\(HZ_MEMBERS\); retrying in/, 60_000);
      expect(line).to.include(member!.address);

      await member!.start();
      await Promise.all([waitReady(node, 60_000), waitReady(late, 60_000)]);
      expect(node.hasExited()).to.equal(false);

      // The restarted member lost the membership map: both nodes registered again.
      const token = await login(node.adminUrl);
      const names = await waitFor('both nodes in the membership list', 15_000, async () => {
        const seen = await clusterNodeNames(node.adminUrl, token);
        return seen.length === 2 ? seen : undefined;
      });
      expect(names).to.deep.equal([node.name, late.name].sort());
      for (const n of [node, late]) expect(n.output.filter((l) => STACK_LINE.test(l))).to.deep.equal([]);
    });
  });
});
