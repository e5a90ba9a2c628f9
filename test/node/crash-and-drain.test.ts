// Two real nodes (docs/operations.md, "Crashes" and "Rolling restarts"; docs/security.md):
// the admin port listens on ADMIN_HOST and the client port on HOST; an unhandled rejection
// stops a node cleanly with exit 1; a restart behind nginx (docs/nginx/beamstack.conf)
// loses no request thanks to the shutdown drain; /ready names no MongoDB address.
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { useClusterHarness } from '../support/cluster-harness.js';
import { readyStatus } from '../support/http.js';
import { startNginx, type TestNginx } from '../support/nginx.js';
import { waitFor } from '../support/wait.js';
import { loadCases } from '../routing/helpers.js';

const REJECT_ON_SIGNAL = fileURLToPath(new URL('../support/reject-on-signal.mjs', import.meta.url));
/** B's admin port: another loopback address than its client port. */
const B_ADMIN_HOST = '127.0.0.5';
const DRAIN_MS = 2000;
const LOAD_WORKERS = 6;
const PACE_MS = 20;

describe('node crash, drain and exposure @integration', function () {
  this.timeout(150_000);
  const h = useClusterHarness({
    // A restart under the load below is slow on a busy machine.
    readyTimeoutMs: 120_000,
    nodes: [
      {},
      {
        ADMIN_HOST: B_ADMIN_HOST,
        HOST: '127.0.0.1',
        SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
        LOG_LEVEL: 'info',
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${REJECT_ON_SIGNAL}`.trim(),
      },
    ],
  });
  const A = () => h.nodes[0]!;
  const B = () => h.nodes[1]!;
  let nginx: TestNginx | undefined;

  after(async () => {
    await nginx?.stop();
  });

  let subnetReady = false;
  /** The fixture model plus a subnet for 127.0.0.1, so local requests get 302s. */
  async function useLocalSubnet(): Promise<void> {
    if (subnetReady) return;
    const fixture = loadCases().fixture as { subnets: Array<Record<string, unknown>> };
    const local = { id: 's-local', name: 'this machine', cidr: '127.0.0.1/32', regionId: 'r1' };
    const put = await h.api(A(), 'PUT', '/api/v1/domain', { body: { ...fixture, subnets: [...fixture.subnets, local] } });
    expect(put.status, put.text).to.equal(200);
    for (const node of [A(), B()]) await h.waitForGeneration(node, put.body.generation as number);
    subnetReady = true;
  }

  it('listens with the admin port on ADMIN_HOST and the client port on HOST only', async () => {
    const b = B();
    expect((await readyStatus(`http://${B_ADMIN_HOST}:${b.port}`))?.status).to.equal(200);
    expect((await readyStatus(`http://127.0.0.1:${b.apiPort}`))?.status).to.equal(200);
    expect(await readyStatus(`http://127.0.0.1:${b.port}`), 'admin port on HOST').to.equal(undefined);
    expect(await readyStatus(`http://${B_ADMIN_HOST}:${b.apiPort}`), 'client port on ADMIN_HOST').to.equal(undefined);
  });

  it('an unhandled rejection is a crash: logged with its stack, the node stops cleanly and exits 1', async () => {
    const b = B();
    const seen = b.output.length;
    process.kill(b.process.pid!, 'SIGUSR2');
    try {
      expect(await b.exited).to.equal(1);
      const output = b.output.slice(seen).join('\n');
      expect(output).to.match(/unhandled rejection: deliberate unhandled rejection \(test\); stopping the node/);
      expect(output).to.match(/Error: deliberate unhandled rejection \(test\)\\n\s+at /);
      expect(output).to.match(/"clean":true,"msg":"stopped"/);
      const nodes = await h.api(A(), 'GET', '/api/v1/cluster/nodes');
      expect(JSON.stringify(nodes.body), 'B left the cluster').to.not.include(b.name);
    } finally {
      await h.restartNode(b);
    }
  });

  it('a node restarted behind nginx under load: every answer is a 302', async function () {
    this.timeout(180_000);
    await useLocalSubnet();
    nginx = await startNginx({ upstreams: [`127.0.0.1:${A().apiPort}`, `127.0.0.1:${B().apiPort}`] });
    const url = `http://127.0.0.1:${nginx.httpPort}/vod/a/b/c`;

    const statuses = new Map<string, number>();
    let running = true;
    // A steady load (each worker at most one request per PACE_MS), not a flood: the node
    // left alone must carry it, and a flood on two shared cores is overload, which the load
    // shedder answers with 503 by design (docs/operations.md, "Rolling restarts").
    const worker = async (): Promise<void> => {
      while (running) {
        const paced = new Promise((resolve) => setTimeout(resolve, PACE_MS));
        let status: string;
        try {
          const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
          const body = await res.text();
          // Any other answer is kept with the start of its body: which 503 it was tells who answered.
          status = res.status === 302 ? '302' : `${res.status} ${body.slice(0, 80)}`;
        } catch (error) {
          status = `error: ${(error as Error).message}`;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await paced;
      }
    };
    const load = Promise.all(Array.from({ length: LOAD_WORKERS }, worker));
    try {
      await waitFor('load to flow', 10_000, async () => (statuses.get('302') ?? 0) > 200);
      const before = statuses.get('302') ?? 0;
      await h.restartNode(B());
      await waitFor('more load after the restart', 10_000, async () => (statuses.get('302') ?? 0) > before + 500);
    } finally {
      running = false;
      await load;
    }
    const other = [...statuses].filter(([status]) => status !== '302');
    expect(Object.fromEntries(other), `answers other than 302 (302s: ${statuses.get('302')})`).to.deep.equal({});
  });

  it('SIGTERM: not ready at once, then still redirecting (Connection: close) for the drain, then closed', async () => {
    await useLocalSubnet();
    const b = B();
    const started = Date.now();
    process.kill(b.process.pid!, 'SIGTERM');
    await waitFor('B to report not ready', 1000, async () => (await readyStatus(b.clientUrl))?.status === 503, { everyMs: 10 });
    const during = await fetch(`${b.clientUrl}/vod/a/b/c`, { redirect: 'manual' });
    expect(during.status, await during.clone().text()).to.equal(302);
    expect(during.headers.get('connection')).to.equal('close');
    expect(Date.now() - started, 'answered within the drain').to.be.lessThan(DRAIN_MS);
    expect(await b.exited).to.equal(0);
    expect(Date.now() - started, 'closed after the drain').to.be.at.least(DRAIN_MS);
  });

  it('/ready names MongoDB when it is down, but not its address', async () => {
    await h.mongo.stop();
    const answer = await waitFor('A to notice MongoDB is down', 30_000, async () => {
      const res = await h.api(A(), 'GET', '/ready', { token: null });
      return res.status === 503 ? res : undefined;
    });
    expect(answer.text).to.include('mongodb');
    const mongoPort = new URL(h.mongodbUrl).port;
    expect(answer.text).to.not.include(mongoPort);
    expect(answer.text).to.not.include('127.0.0.1');
  });
});
