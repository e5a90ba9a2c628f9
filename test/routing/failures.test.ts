// Failures the routing service must survive (docs/cluster.md): MongoDB unreachable (writes
// fail fast with 503 naming MongoDB, redirects keep working, recovery by itself) and the
// Hazelcast member restarted (redirects served from the last view meanwhile; the maps are
// rebuilt from MongoDB by one node and every node reloads).
import { expect } from 'chai';
import { useClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { headerExact, rawRequest } from '../support/raw-http.js';
import { sleep, waitFor } from '../support/wait.js';
import { loadCases } from '../routing/helpers.js';

const LIVE = '/btv/live/hls/ch1';
const CLIENT = '123.123.123.123';

/** Polls every 100 ms; a probe that throws counts as "not yet". */
const until = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> =>
  waitFor(what, timeoutMs, probe, { everyMs: 100 });

describe('routing service failures: MongoDB down, Hazelcast member restarted @integration', function () {
  this.timeout(120_000);
  const h = useClusterHarness({ nodes: 2 });
  const { fixture } = loadCases();
  let a: HarnessNode;
  let b: HarnessNode;

  const location = async (node: HarnessNode): Promise<string | undefined> =>
    headerExact(await rawRequest(node.apiPort, LIVE, { headers: { 'X-Real-IP': CLIENT } }), 'Location');

  before(async () => {
    a = h.nodes[0]!;
    b = h.nodes[1]!;
    const res = await h.api(a, 'PUT', '/api/v1/domain', { body: fixture });
    expect(res.status, res.text).to.equal(200);
    // Only edge2 from here on, so a changed port is visible in every answer.
    expect((await h.api(a, 'DELETE', '/api/v1/servers/e1')).status).to.equal(204);
    await until('both nodes serve edge2 only', 5000, async () => {
      const [la, lb] = await Promise.all([location(a), location(b)]);
      return la === 'http://edge2.test:96/s/hls' && lb === la;
    });
  });

  it('MongoDB down: redirects keep working, writes fail fast with 503 naming MongoDB, recovery by itself', async () => {
    const ferret = h.mongo.ferret!;
    await h.adminToken(); // logging in needs MongoDB
    await ferret.stop();

    for (let i = 0; i < 20; i++) expect(await location(b)).to.equal('http://edge2.test:96/s/hls');

    const started = Date.now();
    const write = await h.api(a, 'PATCH', '/api/v1/servers/e2', { body: { port: 97 } });
    expect(write.status, write.text).to.equal(503);
    expect(write.body.message).to.match(/mongodb/i); // the token check or the write itself, whichever asks first
    expect(Date.now() - started).to.be.lessThan(5000);
    await until('/ready names mongodb', 10_000, async () => {
      const res = await fetch(`${a.adminUrl}/ready`);
      return res.status === 503 && (await res.text()).includes('mongodb');
    });
    expect(await location(a)).to.equal('http://edge2.test:96/s/hls');

    await ferret.start(); // the same port and data directory
    await until('node a ready again', 30_000, async () => (await fetch(`${a.adminUrl}/ready`)).status === 200);
    const retried = await until('the write succeeds', 15_000, async () => {
      const res = await h.api(a, 'PATCH', '/api/v1/servers/e2', { body: { port: 97 } });
      return res.status === 200 ? res : undefined;
    });
    expect(retried.body.port).to.equal(97);
    await until('node b redirects to port 97', 2000, async () => (await location(b)) === 'http://edge2.test:97/s/hls');
  });

  it('Hazelcast member restarted: redirects keep working; the maps are rebuilt and every node follows new writes', async () => {
    const before = (await h.api(a, 'GET', '/api/v1/routing/explain?ip=1.1.1.1&path=/vod/x')).body.view.generation as number;
    let stop = false;
    const answers: string[] = [];
    const load = (async () => {
      while (!stop) {
        const answer = await rawRequest(b.apiPort, LIVE, { headers: { 'X-Real-IP': CLIENT } }).then(
          (res) => `${res.status} ${headerExact(res, 'Location') ?? res.body}`,
          (err: Error) => `error: ${err.message}`,
        );
        answers.push(answer);
        await sleep(20);
      }
    })();
    try {
      await h.hazelcast.restart(0);
      await until('both nodes on a new generation', 60_000, async () => {
        const gens = await Promise.all(
          [a, b].map(async (n) => (await h.api(n, 'GET', '/api/v1/routing/explain?ip=1.1.1.1&path=/vod/x')).body.view.generation as number),
        );
        return gens.every((g) => g > before) && gens[0] === gens[1];
      });
    } finally {
      stop = true;
      await load;
    }
    expect(answers.length).to.be.greaterThan(10);
    expect(answers.filter((l) => l !== '302 http://edge2.test:97/s/hls')).to.deep.equal([]);

    await until('node a ready', 30_000, async () => (await fetch(`${a.adminUrl}/ready`)).status === 200);
    const res = await h.api(a, 'PATCH', '/api/v1/servers/e2', { body: { port: 443 } });
    expect(res.status, res.text).to.equal(200);
    await until('node b follows the write made after the restart', 2000, async () => (await location(b)) === 'https://edge2.test/s/hls');
  });
});
