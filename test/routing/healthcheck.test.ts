// The health checker wired into real nodes (FerretDB + Hazelcast + 2 node processes), probing
// real HTTP edges on loopback addresses (127.0.0.x, so each has its own domainName): an edge
// that fails FALL probes stops getting redirects, comes back after RISE successes, MongoDB
// holds the availability; when the node holding `singleton.healthcheck` is SIGKILLed another
// node takes over and probes within 2 check periods.
import { expect } from 'chai';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { MongoDomainModelStore } from '../../persistence/index.js';
import { useClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { sleep, waitFor } from '../support/wait.js';

const INTERVAL_MS = 1000;
const FALL = 2;
const RISE = 2;
const CLIENT_IP = '10.1.2.3';
const LEASE = 'singleton.healthcheck';

interface Probe {
  node: string;
  at: number;
  healthy: boolean;
}

/** An edge server answering its health check with 200 "OK" or 503, recording who probed when. */
interface FakeEdge {
  host: string;
  port: number;
  healthy: boolean;
  probes: Probe[];
  close(): Promise<void>;
}

async function startEdge(host: string): Promise<FakeEdge> {
  const edge: FakeEdge = { host, port: 0, healthy: true, probes: [], close: async () => {} };
  const server: HttpServer = createServer((req, res) => {
    const node = /\((.+)\)$/.exec(req.headers['user-agent'] ?? '')?.[1] ?? '?';
    edge.probes.push({ node, at: Date.now(), healthy: edge.healthy });
    if (edge.healthy) res.end('OK');
    else {
      res.statusCode = 503;
      res.end('down');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  edge.port = (server.address() as AddressInfo).port;
  edge.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return edge;
}

/** Polls every 50 ms; an error in the probe (a failed expect) fails at once. */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> =>
  waitFor(what, timeoutMs, probe, { everyMs: 50, retryErrors: false });

/** The Location of one VOD redirect from `node`'s client port for CLIENT_IP. */
async function redirectHost(node: HarnessNode): Promise<string> {
  const res = await fetch(`${node.clientUrl}/vod/movie.mp4`, { redirect: 'manual', headers: { 'x-real-ip': CLIENT_IP } });
  await res.arrayBuffer();
  expect(res.status).to.equal(302);
  return new URL(res.headers.get('location')!).hostname;
}

async function hostsSeen(node: HarnessNode, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await redirectHost(node));
  return seen;
}

describe('health checker on a real cluster (FerretDB + Hazelcast + 2 nodes) @integration', function () {
  this.timeout(90_000);
  const h = useClusterHarness({
    nodes: 2,
    env: { HEALTHCHECK_INTERVAL_MS: String(INTERVAL_MS), HEALTHCHECK_FALL: String(FALL), HEALTHCHECK_RISE: String(RISE) },
  });
  let e1: FakeEdge;
  let e2: FakeEdge;
  let dvr: FakeEdge;
  let mongo: MongoClient;

  before(async function () {
    this.timeout(30_000);
    [e1, e2, dvr] = await Promise.all([startEdge('127.0.0.1'), startEdge('127.0.0.2'), startEdge('127.0.0.3')]);
    mongo = new MongoClient(h.mongodbUrl);
    const server = (id: string, type: 'EDGE' | 'DVR', edge: FakeEdge): Record<string, unknown> => ({
      id,
      type,
      domainName: edge.host,
      ip: edge.host,
      port: edge.port,
      status: 'ACTIVE',
      availability: true,
      weight: 50,
      healthcheckPath: '/health',
      ...(type === 'DVR' ? { prefix: 'dvr1' } : {}),
    });
    const res = await h.api(h.nodes[0]!, 'PUT', '/api/v1/domain', {
      body: {
        regions: [{ id: 'r1', name: 'Region 1', status: 'ACTIVE', serverGroupIds: ['g1'] }],
        subnets: [{ id: 's1', name: 'Subnet 1', cidr: '10.0.0.0/8', regionId: 'r1' }],
        serverGroups: [{ id: 'g1', name: 'Group 1', status: 'ACTIVE', serverIds: ['e1', 'e2', 'd1'] }],
        servers: [server('e1', 'EDGE', e1), server('e2', 'EDGE', e2), server('d1', 'DVR', dvr)],
        linearChannels: [],
        tvStreams: [],
        programs: [],
        programRecords: [],
      },
    });
    expect(res.status, res.text).to.equal(200);
  });

  after(async () => {
    await mongo?.close();
    await Promise.all([e1, e2, dvr].map((edge) => edge?.close()));
  });

  async function storedAvailability(id: string): Promise<boolean | undefined> {
    const gen = await new MongoDomainModelStore(mongo.db()).at();
    return (await gen.get('servers', id))?.availability;
  }

  async function apiAvailability(node: HarnessNode, id: string): Promise<boolean> {
    const res = await h.api(node, 'GET', `/api/v1/servers/${id}`);
    expect(res.status, res.text).to.equal(200);
    return res.body.availability as boolean;
  }

  async function singletonHolder(via: HarnessNode): Promise<string | undefined> {
    const res = await h.api(via, 'GET', '/api/v1/cluster/nodes');
    expect(res.status, res.text).to.equal(200);
    return (res.body.nodes as Array<{ name: string; singletons: string[] }>).find((n) => n.singletons.includes(LEASE))?.name;
  }

  it('probes every ACTIVE server, EDGE and DVR, from one node only', async () => {
    const start = Date.now();
    await until('probes of all three servers', () => [e1, e2, dvr].every((e) => e.probes.some((p) => p.at >= start)), 10_000);
    const holder = await until('a singleton holder', () => singletonHolder(h.nodes[0]!), 10_000);
    await sleep(2 * INTERVAL_MS);
    const probers = new Set([e1, e2, dvr].flatMap((e) => e.probes.filter((p) => p.at >= start).map((p) => p.node)));
    expect([...probers]).to.deep.equal([holder]);
    for (const node of h.nodes) expect(await hostsSeen(node, 40)).to.deep.equal(new Set(['127.0.0.1', '127.0.0.2']));
  });

  it('an edge failing FALL probes stops getting redirects; after RISE successes it is back; MongoDB holds it', async () => {
    const [a, b] = h.nodes as [HarnessNode, HarnessNode];
    e2.healthy = false;
    const failedFrom = e2.probes.length;
    await until('e2 unavailable', async () => !(await apiAvailability(a, 'e2')), 5 * INTERVAL_MS);
    // Hysteresis: not before FALL failed probes.
    expect(e2.probes.slice(failedFrom).filter((p) => !p.healthy).length).to.be.at.least(FALL);
    expect(await storedAvailability('e2')).to.equal(false);
    expect(await storedAvailability('e1')).to.equal(true);
    for (const node of [a, b]) {
      // The view follows the change within a second; from then on only e1.
      await until(
        `${node.name} redirecting to e1 only`,
        async () => ((await hostsSeen(node, 20)).has('127.0.0.2') ? undefined : true),
        3000,
      );
      expect(await hostsSeen(node, 60)).to.deep.equal(new Set(['127.0.0.1']));
    }

    e2.healthy = true;
    const healthyFrom = e2.probes.length;
    await until('e2 available again', () => apiAvailability(a, 'e2'), 5 * INTERVAL_MS);
    expect(e2.probes.slice(healthyFrom).filter((p) => p.healthy).length).to.be.at.least(RISE);
    expect(await storedAvailability('e2')).to.equal(true);
    for (const node of [a, b]) {
      await until(
        `${node.name} redirecting to e2 again`,
        async () => ((await hostsSeen(node, 20)).has('127.0.0.2') ? true : undefined),
        3000,
      );
    }

    // The checker counted both transitions.
    const metrics = (await Promise.all([a, b].map(async (node) => (await h.api(node, 'GET', '/metrics')).text))).join('\n');
    expect(metrics).to.match(/beamstack_healthcheck_transitions_total\{[^}]*server="127\.0\.0\.2"[^}]*to="unavailable"[^}]*\} 1/);
    expect(metrics).to.match(/beamstack_healthcheck_transitions_total\{[^}]*server="127\.0\.0\.2"[^}]*to="available"[^}]*\} 1/);
  });

  it('the holder SIGKILLed: another node holds singleton.healthcheck and probes within 2 check periods', async () => {
    const holderName = await until('a singleton holder', () => singletonHolder(h.nodes[0]!), 10_000);
    const holder = h.nodes.find((n) => n.name === holderName)!;
    const survivor = h.nodes.find((n) => n !== holder)!;

    const killedAt = Date.now();
    holder.process.kill('SIGKILL');
    await holder.process.exited;

    const firstProbe = await until(
      'a probe from the survivor',
      () => e1.probes.find((p) => p.node === survivor.name && p.at >= killedAt),
      6 * INTERVAL_MS,
    );
    expect(firstProbe.at - killedAt, 'takeover time (ms)').to.be.at.most(2 * INTERVAL_MS);
    expect(
      await until(
        'the survivor listed as holder',
        async () => ((await singletonHolder(survivor)) === survivor.name ? true : undefined),
        5000,
      ),
    ).to.equal(true);
    // It keeps probing every period.
    await until('three rounds from the survivor', () => e1.probes.filter((p) => p.node === survivor.name).length >= 3, 5 * INTERVAL_MS);
  });
});
