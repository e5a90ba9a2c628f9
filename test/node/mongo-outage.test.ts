// MongoDB dying under a running node (docs/operations.md "Failures"): users are cached on
// each node, so an authenticated admin read that does not need MongoDB still answers, and
// what does need it answers 503 naming mongodb, never 500.
import { expect } from 'chai';
import { testFerret, type TestFerret } from '../support/ferretdb.js';
import { testMember, type TestMember } from '../support/hazelcast.js';
import { http, login } from '../support/http.js';
import { nodeEnv } from '../support/node-env.js';
import { nodeGroup, waitReady, type TestNode } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

describe('node: a MongoDB outage under a running node @integration', function () {
  this.timeout(120_000);
  const nodes = nodeGroup();
  let ferret: TestFerret | undefined;
  let member: TestMember | undefined;
  let node: TestNode | undefined;

  before(async function () {
    this.timeout(300_000);
    [ferret, member] = await Promise.all([testFerret({ dbPrefix: 'outage' }), testMember()]);
    node = await nodes.launch(nodeEnv({ mongodbUrl: ferret.mongodbUrl, hzMembers: member.address, clusterName: member.clusterName }));
    try {
      await waitReady(node, 240_000);
    } catch (err) {
      process.stderr.write(`${nodes.recentOutput()}\n`);
      throw err;
    }
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${nodes.recentOutput()}\n`);
  });
  after(async function () {
    this.timeout(60_000);
    await nodes.killAll();
    await member?.stop();
    await ferret?.dispose();
  });

  it('serves reads that do not need MongoDB, and 503 (not 500) for what does', async () => {
    const token = await login(node!.adminUrl);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    expect((await http(`${node!.adminUrl}/api/v1/cluster/nodes`, auth)).status).to.equal(200);

    await ferret!.kill();
    await waitFor('/ready to name mongodb', 20_000, async () => {
      const ready = await http(`${node!.adminUrl}/ready`);
      return ready.status === 503 && JSON.stringify(ready.body).includes('mongodb') ? true : undefined;
    });

    // Read again and again past the cache's freshness (5 s): the node must not need MongoDB
    // to know who the token belongs to.
    const outageStarted = Date.now();
    await waitFor(
      'reads past the cache freshness',
      30_000,
      async () => {
        const answer = await http(`${node!.adminUrl}/api/v1/cluster/nodes`, auth);
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        return Date.now() - outageStarted > 7000 ? true : undefined;
      },
      { retryErrors: false },
    );
    const usersRead = await http(`${node!.adminUrl}/api/v1/users`, auth);
    expect(usersRead.status).to.equal(503);
    expect(JSON.stringify(usersRead.body)).to.contain('mongodb');

    await ferret!.start();
    await waitReady(node!, 60_000);
    expect((await http(`${node!.adminUrl}/api/v1/users`, auth)).status).to.equal(200);
  });
});
