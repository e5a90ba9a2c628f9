// Cluster rejoin end to end: FerretDB + a Hazelcast member + 2 node processes. The rejoin
// rebuilds the domain maps as a new generation, every node acknowledges it, the job reports
// counts, timings and nodes; one rejoin at a time (409), ADMIN only; redirects never fail
// because of it. A rejoin is held in its rebuild step deterministically by taking the
// `domain.generation` lease from the test (the coordinator waits for it, as for a bulk replace).
import { expect } from 'chai';
import type { Output } from '../../bin/ctl/cli.js';
import { runCtl } from '../../bin/ctl/run.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { DOMAIN_GENERATION_LEASE } from '../../actors/routing/cluster-maps.js';
import { useClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/node-env.js';
import { sleep } from '../support/wait.js';

const CLIENT_IP = '10.9.8.7';
const PATHS = ['/btv/live/hls/ch1.m3u8', '/vod/movies/a.mp4', '/btv/live/mpd/ch2'];
const COUNTS = { regions: 1, subnets: 2, serverGroups: 1, servers: 2, linearChannels: 2, tvStreams: 2, programs: 1, programRecords: 0 };

const MODEL = {
  regions: [{ id: 'r1', name: 'Region 1', status: 'ACTIVE', serverGroupIds: ['g1'] }],
  subnets: [
    { id: 's1', name: 'Subnet 1', cidr: '10.0.0.0/8', regionId: 'r1' },
    { id: 's2', name: 'Subnet 2', cidr: '10.9.0.0/16', regionId: 'r1' },
  ],
  serverGroups: [{ id: 'g1', name: 'Group 1', status: 'ACTIVE', serverIds: ['e1', 'e2'] }],
  servers: ['e1', 'e2'].map((id) => ({
    id,
    type: 'EDGE',
    domainName: `${id}.cdn.test`,
    ip: '192.0.2.1',
    port: 80,
    status: 'ACTIVE',
    availability: true,
    weight: 10,
    healthcheckEnabled: false,
  })),
  linearChannels: [
    { id: 'lc1', name: 'Channel 1', codeName: 'channel_1', epgId: 'ch1' },
    { id: 'lc2', name: 'Channel 2', codeName: 'channel_2', epgId: 'ch2' },
  ],
  tvStreams: [
    { id: 't1', linearChannelId: 'lc1', streamPath: '/live/ch1.m3u8', status: 'ACTIVE', protocol: 'HLS', encryption: 'NONE' },
    { id: 't2', linearChannelId: 'lc2', streamPath: '/live/ch2.mpd', status: 'ACTIVE', protocol: 'MPD', encryption: 'NONE' },
  ],
  programs: [
    {
      id: 'p1',
      linearChannelId: 'lc1',
      epgId: 'p1',
      name: 'News',
      startDatetime: '2026-01-01T10:00:00Z',
      endDatetime: '2026-01-01T11:00:00Z',
    },
  ],
  programRecords: [],
};

interface Job {
  jobId: string;
  state: 'running' | 'succeeded' | 'failed';
  node: string;
  steps: Array<{ name: string; state: string; startedAt?: string; finishedAt?: string; ms?: number; detail?: string }>;
  counts: Record<string, number>;
  generation?: number;
  previousGeneration?: number;
  acknowledgedBy: string[];
  error?: string;
  rebuildTimings?: Record<string, number>;
  nodeTimings?: Record<string, { readMs: number; buildMs: number }>;
}

/** Client redirects in a loop on every node until stopped; counts every outcome. */
function redirectLoop(nodes: HarnessNode[]): { stop(): Promise<Map<string, number>> } {
  const outcomes = new Map<string, number>();
  let running = true;
  const count = (key: string): void => {
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  };
  const lanes = nodes.flatMap((node) =>
    [0, 1].map(async (lane) => {
      for (let i = lane; running; i++) {
        try {
          const res = await fetch(`${node.clientUrl}${PATHS[i % PATHS.length]}`, {
            redirect: 'manual',
            headers: { 'x-real-ip': CLIENT_IP },
          });
          await res.arrayBuffer();
          count(String(res.status));
        } catch (error) {
          count(`error: ${(error as Error).message}`);
        }
      }
    }),
  );
  return {
    async stop() {
      running = false;
      await Promise.all(lanes);
      return outcomes;
    },
  };
}

function captured(): Output & { stdout: string[]; stderr: string[] } {
  const io = {
    stdout: [] as string[],
    stderr: [] as string[],
    out: (l: string) => io.stdout.push(l),
    err: (l: string) => io.stderr.push(l),
  };
  return io;
}

describe('cluster rejoin on a real cluster (FerretDB + Hazelcast + 2 nodes) @integration', function () {
  this.timeout(60_000);
  const h = useClusterHarness({ nodes: 2 });
  let a: HarnessNode;
  let b: HarnessNode;
  let store: ClusterStore | undefined;

  before(async function () {
    this.timeout(30_000);
    [a, b] = h.nodes as [HarnessNode, HarnessNode];
    const res = await h.api(a, 'PUT', '/api/v1/domain', { body: MODEL });
    expect(res.status, res.text).to.equal(200);
    for (const node of [a, b]) await h.waitForGeneration(node, res.body.generation as number, CLIENT_IP);
  });

  after(async () => {
    await store?.close().catch(() => undefined);
  });

  async function job(node: HarnessNode, jobId: string): Promise<Job> {
    const res = await h.api(node, 'GET', `/api/v1/cluster/jobs/${jobId}`);
    expect(res.status, res.text).to.equal(200);
    return res.body as Job;
  }

  async function finished(node: HarnessNode, jobId: string): Promise<Job> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = await job(node, jobId);
      if (current.state !== 'running') return current;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still running: ${JSON.stringify(current)}`);
      await sleep(50);
    }
  }

  async function startRejoin(node: HarnessNode): Promise<string> {
    const res = await h.api(node, 'POST', '/api/v1/cluster/rejoin', { body: {} });
    expect(res.status, res.text).to.equal(202);
    expect(res.body.jobId).to.be.a('string');
    expect(res.headers.get('location')).to.equal(`/api/v1/cluster/jobs/${res.body.jobId}`);
    return res.body.jobId as string;
  }

  it('rebuilds the maps as a new generation; the job reports counts, per-step timings and both nodes', async () => {
    const before = (await h.servedGeneration(a, CLIENT_IP)) as number;
    const jobId = await startRejoin(a);
    const done = await finished(b, jobId); // any node answers
    expect(done.state, done.error).to.equal('succeeded');
    expect(done.node).to.equal(a.name);
    expect(done.counts).to.deep.equal(COUNTS);
    expect(done.previousGeneration).to.equal(before);
    expect(done.generation).to.equal(before + 1);
    expect(done.acknowledgedBy).to.deep.equal([a.name, b.name].sort());
    // Per-step timings from every node: the rebuild's phases here, the view load on each node.
    expect(Object.keys(done.rebuildTimings ?? {}).sort()).to.deep.equal(['loadMs', 'reconcileMs', 'switchMs', 'totalMs', 'writeMs']);
    expect(Object.keys(done.nodeTimings ?? {}).sort()).to.deep.equal([a.name, b.name].sort());
    for (const timings of Object.values(done.nodeTimings!)) {
      expect(timings.readMs).to.be.a('number').and.at.least(0);
      expect(timings.buildMs).to.be.a('number').and.at.least(0);
    }
    expect(done.steps.map((s) => [s.name, s.state])).to.deep.equal([
      ['reconnect', 'succeeded'],
      ['indexes', 'succeeded'],
      ['rebuild', 'succeeded'],
      ['acknowledge', 'succeeded'],
    ]);
    for (const step of done.steps) {
      expect(step.ms, step.name).to.be.a('number');
      expect(step.startedAt, step.name).to.be.a('string');
      expect(step.finishedAt, step.name).to.be.a('string');
    }
    expect(await h.servedGeneration(a, CLIENT_IP)).to.equal(done.generation);
    expect(await h.servedGeneration(b, CLIENT_IP)).to.equal(done.generation);
  });

  it('while a rejoin runs: a second one → 409 on any node, and redirects keep answering 302', async () => {
    store = await h.hazelcast.store();
    const loop = redirectLoop([a, b]);
    let outcomes: Map<string, number> | undefined;
    try {
      await sleep(300);
      // Hold the rebuild step: the coordinator waits while another writer holds the generation lease.
      expect(await store.leases.acquire(DOMAIN_GENERATION_LEASE, 'rejoin-test', 30_000)).to.equal(true);
      let released = false;
      try {
        const jobId = await startRejoin(b);
        const deadline = Date.now() + 10_000;
        while ((await job(a, jobId)).steps.find((s) => s.name === 'rebuild')?.state !== 'running') {
          if (Date.now() > deadline) throw new Error('the rejoin did not reach its rebuild step');
          await sleep(20);
        }
        for (const node of [a, b]) {
          const second = await h.api(node, 'POST', '/api/v1/cluster/rejoin', { body: {} });
          expect(second.status, second.text).to.equal(409);
          expect(second.body.message).to.contain(jobId);
        }
        expect((await job(a, jobId)).state).to.equal('running');
        await sleep(500); // redirects keep going while the job waits
        await store.leases.release(DOMAIN_GENERATION_LEASE, 'rejoin-test');
        released = true;
        const done = await finished(a, jobId);
        expect(done.state, done.error).to.equal('succeeded');
        expect(done.acknowledgedBy).to.deep.equal([a.name, b.name].sort());
        // The old generation is dropped 2 s after the switch: keep asking past that.
        await sleep(2500);
      } finally {
        if (!released) await store.leases.release(DOMAIN_GENERATION_LEASE, 'rejoin-test');
      }
    } finally {
      outcomes = await loop.stop();
    }
    expect([...outcomes.keys()]).to.deep.equal(['302']);
    expect(outcomes.get('302')).to.be.greaterThan(100);
  });

  it('is ADMIN-only (MANAGER → 403, no token → 401); an unknown job → 404', async () => {
    const created = await h.api(a, 'POST', '/api/v1/users', {
      body: { email: 'manager@rejoin.test', password: 'manager-password', role: 'MANAGER' },
    });
    expect(created.status, created.text).to.equal(201);
    const token = await h.login(a, 'manager@rejoin.test', 'manager-password');
    const refused = await h.api(a, 'POST', '/api/v1/cluster/rejoin', { token, body: {} });
    expect(refused.status, refused.text).to.equal(403);
    expect((await h.api(a, 'POST', '/api/v1/cluster/rejoin', { token: null })).status).to.equal(401);
    const unknown = await h.api(b, 'GET', '/api/v1/cluster/jobs/no-such-job');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.message).to.contain('no-such-job');
  });

  it('`ctl rejoin --wait` starts one and prints the finished job', async () => {
    const io = captured();
    const env = { ADMIN_EMAIL, ADMIN_PASSWORD };
    const code = await runCtl(['rejoin', '--node', b.adminUrl, '--wait', '--timeout', '30'], env, io);
    expect(code, io.stderr.join('\n')).to.equal(0);
    const printed = JSON.parse(io.stdout.join('\n')) as Job;
    expect(printed.state).to.equal('succeeded');
    expect(printed.counts).to.deep.equal(COUNTS);
    expect(printed.acknowledgedBy).to.deep.equal([a.name, b.name].sort());
    expect(io.stderr[0]).to.match(/^rejoin started on http:\/\/127\.0\.0\.1:\d+: job /);
  });
});
