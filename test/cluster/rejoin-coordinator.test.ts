// The rejoin coordinator on a LocalCluster: two simulated nodes, each with its own actor
// system and store handle; the rebuild is a fake that announces the switch like routing
// actors do. Checks the job record, the lease (one rejoin at a time), acknowledgements,
// failures and orphaned jobs.
import { expect } from 'chai';
import {
  REJOIN_JOBS_MAP,
  REJOIN_LEASE,
  startRejoinCoordinator,
  type RebuildOutcome,
  type RejoinJob,
  type RejoinService,
} from '../../actors/cluster/rejoin-coordinator.js';
import { startActorSystem, type ActorSystem } from '../../actors/kernel/index.js';
import { DOMAIN_SWITCH_TOPIC, type SwitchAck } from '../../actors/routing/cluster-maps.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { silentLogger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { rejection } from '../support/rejection.js';
import { waitFor } from '../support/wait.js';

const COUNTS = { regions: 1, subnets: 2, serverGroups: 1, servers: 3, linearChannels: 0, tvStreams: 0, programs: 0, programRecords: 0 };

interface SimNode {
  name: string;
  store: ClusterStore;
  system: ActorSystem;
  rejoin: RejoinService;
}

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  return waitFor('the condition', timeoutMs, probe, { everyMs: 10, retryErrors: false });
}

async function finished(service: RejoinService, jobId: string): Promise<RejoinJob> {
  return until(async () => {
    const job = await service.job(jobId);
    return job.state === 'running' ? undefined : job;
  });
}

type Refusal = { code?: unknown; message: string };

describe('rejoin coordinator (LocalCluster)', () => {
  let hub: LocalCluster;
  let nodes: SimNode[];
  let generation: number;
  /** Nodes whose "routing actor" acknowledges a switch. */
  let acking: Set<string>;
  let holdRebuild: Gate | undefined;
  let rebuildError: Error | undefined;

  beforeEach(() => {
    hub = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 300 });
    nodes = [];
    generation = 7;
    acking = new Set();
    holdRebuild = undefined;
    rebuildError = undefined;
  });

  afterEach(async () => {
    holdRebuild?.open();
    for (const node of nodes) {
      await node.system.stop();
      await node.store.close();
    }
  });

  async function startNode(name: string, ackTimeoutMs = 2000): Promise<SimNode> {
    const store = hub.store();
    await store.membership.join({ name, host: '127.0.0.1', port: 1, apiPort: 2, startedAt: new Date().toISOString() });
    const system = startActorSystem({ log: silentLogger });
    const { service } = startRejoinCoordinator(system, {
      nodeName: name,
      store,
      ackTimeoutMs,
      prepare: async () => 'indexes ensured',
      rebuild: async (): Promise<RebuildOutcome> => {
        await holdRebuild?.promise;
        if (rebuildError) throw rebuildError;
        generation += 1;
        for (const node of acking) await store.topics.publish<SwitchAck>(DOMAIN_SWITCH_TOPIC, { node, generation });
        return { generation, counts: COUNTS, acknowledgedBy: [] };
      },
    });
    const node = { name, store, system, rejoin: service };
    nodes.push(node);
    return node;
  }

  it('runs the four steps and reports counts, timings and every acknowledging node; any node answers GET', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    acking = new Set(['node-a', 'node-b']);
    const { jobId } = await a.rejoin.start('admin@example.com');
    // Recorded before the answer: the other node knows the job at once.
    expect((await b.rejoin.job(jobId)).jobId).to.equal(jobId);

    const job = await finished(b.rejoin, jobId);
    expect(job.state, job.error).to.equal('succeeded');
    expect(job).to.include({ node: 'node-a', requestedBy: 'admin@example.com', generation: 8 });
    expect(job.counts).to.deep.equal(COUNTS);
    expect(job.acknowledgedBy).to.deep.equal(['node-a', 'node-b']);
    expect(job.steps.map((s) => [s.name, s.state])).to.deep.equal([
      ['reconnect', 'succeeded'],
      ['indexes', 'succeeded'],
      ['rebuild', 'succeeded'],
      ['acknowledge', 'succeeded'],
    ]);
    for (const step of job.steps) {
      expect(step.ms).to.be.a('number').and.at.least(0);
      expect(Date.parse(step.finishedAt!)).to.be.at.least(Date.parse(step.startedAt!));
    }
    expect(job.finishedAt).to.be.a('string');
    expect(await a.store.leases.holder(REJOIN_LEASE)).to.equal(undefined);
  });

  it('refuses a second rejoin while one runs (same node or another), then allows the next', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    acking = new Set(['node-a', 'node-b']);
    holdRebuild = gate();
    const { jobId } = await a.rejoin.start();
    await until(async () => ((await a.rejoin.job(jobId)).steps[2]!.state === 'running' ? true : undefined));

    const same = await rejection<Refusal>(a.rejoin.start());
    expect(same.code).to.equal('CONFLICT');
    expect(same.message).to.contain(jobId);
    const other = await rejection<Refusal>(b.rejoin.start());
    expect(other.code).to.equal('CONFLICT');
    expect(other.message).to.contain(jobId).and.contain('node-a');

    holdRebuild.open();
    expect((await finished(a.rejoin, jobId)).state).to.equal('succeeded');
    const next = await b.rejoin.start();
    expect((await finished(a.rejoin, next.jobId)).state).to.equal('succeeded');
  });

  it('fails the acknowledge step naming the nodes that did not report the new generation', async () => {
    const a = await startNode('node-a', 300);
    await startNode('node-b', 300);
    acking = new Set(['node-a']);
    const { jobId } = await a.rejoin.start();
    const job = await finished(a.rejoin, jobId);
    expect(job.state).to.equal('failed');
    expect(job.acknowledgedBy).to.deep.equal(['node-a']);
    expect(job.missingNodes).to.deep.equal(['node-b']);
    expect(job.error).to.match(/node-b did not report generation 8/);
    expect(job.steps.map((s) => s.state)).to.deep.equal(['succeeded', 'succeeded', 'succeeded', 'failed']);
  });

  it('a failed rebuild fails the job and skips the rest; the lease is released', async () => {
    const a = await startNode('node-a');
    rebuildError = Object.assign(new Error('MongoDB is unavailable'), { code: 'UNAVAILABLE' });
    const { jobId } = await a.rejoin.start();
    const job = await finished(a.rejoin, jobId);
    expect(job).to.include({ state: 'failed', error: 'MongoDB is unavailable' });
    expect(job.steps.map((s) => s.state)).to.deep.equal(['succeeded', 'succeeded', 'failed', 'skipped']);
    expect(job.steps[2]!.detail).to.equal('MongoDB is unavailable');
    expect(await a.store.leases.holder(REJOIN_LEASE)).to.equal(undefined);
  });

  it('unknown job → NOT_FOUND; a running job of a node that is gone reads as failed', async () => {
    const a = await startNode('node-a');
    expect((await rejection<Refusal>(a.rejoin.job('nope'))).code).to.equal('NOT_FOUND');

    const orphan: RejoinJob = {
      jobId: 'job-ghost',
      kind: 'rejoin',
      node: 'ghost@nowhere',
      state: 'running',
      steps: [{ name: 'reconnect', state: 'running', startedAt: new Date().toISOString() }],
      counts: {},
      startedAt: new Date().toISOString(),
      acknowledgedBy: [],
    };
    await a.store.map<RejoinJob>(REJOIN_JOBS_MAP).set(orphan.jobId, orphan, 1);
    const read = await a.rejoin.job('job-ghost');
    expect(read.state).to.equal('failed');
    expect(read.error).to.match(/ghost@nowhere stopped before the job finished/);
    // It does not block a new rejoin, and is tidied up as failed.
    acking = new Set(['node-a']);
    const { jobId } = await a.rejoin.start();
    expect((await finished(a.rejoin, jobId)).state).to.equal('succeeded');
    const stored = await a.store.map<RejoinJob>(REJOIN_JOBS_MAP).get('job-ghost');
    expect(stored?.value.state).to.equal('failed');
  });
});
