// The operator's tools against real processes: `npm run ctl -- migrate` and `nodes`, and
// `npm run console` attached to a running node over its socket.
import { existsSync, statSync } from 'node:fs';
import { expect } from 'chai';
import { MIGRATIONS } from '../../persistence/index.js';
import { useClusterHarness } from '../support/cluster-harness.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/node-env.js';
import type { TestNode } from '../support/nodes.js';
import { npmRun } from './support.js';

describe('operations tools on a running node @integration', function () {
  this.timeout(60_000);
  const h = useClusterHarness({ nodes: 1, logLevel: 'info', readyTimeoutMs: 90_000 });
  let node: TestNode | undefined;

  before(() => {
    node = h.nodes[0];
  });

  it('npm run ctl -- migrate: applies the migrations to a fresh database with MONGODB_URL only, then has nothing to do', async () => {
    const url = `${h.mongodbUrl}_ctl`;
    // Only MONGODB_URL: no SECRET_KEY_BASE, no cluster store.
    const env = { MONGODB_URL: url, SECRET_KEY_BASE: undefined, HZ_MEMBERS: undefined };
    const first = await npmRun('ctl', ['migrate'], { env });
    expect(first.code, first.stderr).to.equal(0);
    for (const migration of MIGRATIONS) expect(first.stdout).to.include(`applied  ${migration.id}  ${migration.description}`);
    expect(first.stdout).to.include(`${MIGRATIONS.length} applied, 0 already applied before`);

    const second = await npmRun('ctl', ['migrate'], { env });
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout.trim()).to.match(new RegExp(`^nothing to apply: all ${MIGRATIONS.length} migrations were already applied`));
  });

  it('npm run ctl -- nodes: lists the live node through its admin API and straight from the cluster store', async () => {
    const viaApi = await npmRun('ctl', ['nodes', '--node', node!.adminUrl], { env: { ADMIN_EMAIL, ADMIN_PASSWORD } });
    expect(viaApi.code, viaApi.stderr).to.equal(0);
    expect(viaApi.stdout).to.match(
      new RegExp(`^${node!.name.replace(/[.@]/g, '\\$&')}\\s+127\\.0\\.0\\.1\\s+${node!.port}\\s+${node!.apiPort}\\s`, 'm'),
    );
    expect(viaApi.stdout).to.include('1 live node');

    const direct = await npmRun('ctl', ['nodes', '--direct', '--json'], {
      env: {
        HZ_MEMBERS: h.hazelcast.addresses.join(','),
        HZ_CLUSTER_NAME: h.hazelcast.clusterName,
        ADMIN_EMAIL: undefined,
        ADMIN_PASSWORD: undefined,
      },
    });
    expect(direct.code, direct.stderr).to.equal(0);
    const nodes = (JSON.parse(direct.stdout) as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name);
    expect(nodes).to.deep.equal([node!.name]);
  });

  it('npm run console -- <socket>: evaluates expressions in the node, secrets hidden', async () => {
    const stat = statSync(node!.consoleSocket);
    expect(stat.isSocket()).to.equal(true);
    expect(stat.mode & 0o777).to.equal(0o600);
    const result = await npmRun('console', [node!.consoleSocket], {
      input: ['40 + 2', 'config.secretKeyBase', 'config.port', '(await nodes()).map((n) => n.name)', 'store.status()', ''].join('\n'),
    });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`Beamstack console on node ${node!.name}`);
    expect(result.stdout).to.include(`${node!.name}> 42`);
    expect(result.stdout).to.include(`${node!.name}> '[hidden]'`);
    expect(result.stdout).to.include(`${node!.name}> ${node!.port}`);
    expect(result.stdout).to.include(`[ '${node!.name}' ]`);
    expect(result.stdout).to.include("'connected'");
    expect(result.stdout).to.not.include('test-secret-key-base');
    expect(node!.output.join('\n')).to.include('console session closed');
  });

  it('npm run console: says clearly when there is no node behind the port (exit 1) or no argument (exit 2)', async () => {
    const none = await npmRun('console', ['1']);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.match(/console: no socket at .*console-1\.sock: is the node on port 1 running/);
    const usage = await npmRun('console', []);
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.include('usage: npm run console -- <port | socket path>');
  });

  it('removes its console socket when it stops', async function () {
    this.timeout(20_000);
    node!.process.kill('SIGTERM');
    expect(await node!.exited).to.equal(0);
    expect(existsSync(node!.consoleSocket)).to.equal(false);
  });
});
