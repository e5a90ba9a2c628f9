// Three real nodes on one FerretDB and one Hazelcast member: readiness, membership through
// the admin API, a SIGKILLed node leaving the list, SIGTERM draining to exit 0.
import { expect } from 'chai';
import { useClusterHarness } from '../support/cluster-harness.js';
import { http } from '../support/http.js';
import type { TestNode } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';
import { clusterNodeNames } from './support.js';

describe('node: three real nodes in one cluster @integration', function () {
  this.timeout(30_000);
  const h = useClusterHarness({ nodes: 3, logLevel: 'info', readyTimeoutMs: 90_000, startTimeoutMs: 240_000 });
  let nodes: TestNode[] = [];
  let token = '';

  before(async () => {
    nodes = h.nodes;
    token = await h.adminToken();
  });

  it('answers /ready and /health with 200 on both ports of every node', async () => {
    for (const node of nodes) {
      for (const base of [node.adminUrl, node.clientUrl]) {
        expect((await http(`${base}/ready`)).status, `${base}/ready`).to.equal(200);
        expect((await http(`${base}/health`)).status, `${base}/health`).to.equal(200);
      }
    }
  });

  it('lists all three nodes in GET /api/v1/cluster/nodes of each node', async () => {
    const expected = nodes.map((n) => n.name).sort();
    for (const node of nodes) {
      const names = await waitFor(`${node.name} to see all nodes`, 10_000, async () => {
        const seen = await clusterNodeNames(node.adminUrl, token);
        return seen.length === expected.length ? seen : undefined;
      });
      expect(names).to.deep.equal(expected);
    }
    const answer = await http(`${nodes[1]!.adminUrl}/api/v1/cluster/nodes`, { headers: { authorization: `Bearer ${token}` } });
    const self = (answer.body as { nodes: Array<Record<string, unknown>> }).nodes.find((n) => n.name === nodes[1]!.name);
    expect(self).to.include({ host: '127.0.0.1', port: nodes[1]!.port, apiPort: nodes[1]!.apiPort });
    expect(self?.lastHeartbeatAt).to.be.a('string');
  });

  it('answers GET /api/v1/cluster/nodes without a token with 401', async () => {
    expect((await http(`${nodes[0]!.adminUrl}/api/v1/cluster/nodes`)).status).to.equal(401);
  });

  it("drops a node killed with SIGKILL from the others' lists within 10 s", async () => {
    const victim = nodes[2]!;
    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    expect(await victim.exited).to.equal(null);
    const survivors = nodes.slice(0, 2);
    await Promise.all(
      survivors.map((node) =>
        waitFor(`${victim.name} to leave ${node.name}'s list`, 10_000, async () => {
          const names = await clusterNodeNames(node.adminUrl, token);
          return names.includes(victim.name) ? undefined : names;
        }),
      ),
    );
    expect(Date.now() - killedAt).to.be.below(10_000);
    for (const node of survivors) expect(await clusterNodeNames(node.adminUrl, token)).to.deep.equal(survivors.map((n) => n.name).sort());
    for (const node of survivors) expect((await http(`${node.adminUrl}/ready`)).status).to.equal(200);
  });

  it('drains on SIGTERM and exits 0 within 10 s; the node leaves the list at once', async () => {
    const node = nodes[1]!;
    const started = Date.now();
    node.process.kill('SIGTERM');
    const code = await node.exited;
    const tookMs = Date.now() - started;
    expect(code, node.output.slice(-10).join('\n')).to.equal(0);
    expect(tookMs).to.be.below(10_000);
    // A clean stop deletes the membership entry instead of waiting for its expiry.
    const names = await waitFor('the stopped node to leave the list', 2_000, async () => {
      const seen = await clusterNodeNames(nodes[0]!.adminUrl, token);
      return seen.includes(node.name) ? undefined : seen;
    });
    expect(names).to.deep.equal([nodes[0]!.name]);
  });
});
