// The health checker as a cluster singleton: two simulated nodes on one LocalCluster, each
// with its own actor system and store handle. Exactly one probes; when it dies another
// takes over within 2 check periods and never while the first still probes.
import { expect } from 'chai';
import { startActorSystem, type ActorSystem } from '../../../actors/kernel/index.js';
import { healthCheckerSpec, type RoundSummary } from '../../../actors/routing/health/index.js';
import { LocalCluster } from '../../../cluster/local/index.js';
import type { ClusterStore } from '../../../domain/ports/cluster-store.js';
import { silentLogger } from '../../../domain/log.js';
import { FakeServerSource, RecordingWriter, serverAt, startFakeEdge, until, type FakeEdge } from './support.js';

const INTERVAL_MS = 400;
const LEASE_TTL_MS = 300;

interface SimNode {
  name: string;
  store: ClusterStore;
  system: ActorSystem;
  rounds: RoundSummary[];
  held: boolean[];
}

/** Which node sent each probe, from the User-Agent, in arrival order. */
function probers(edge: FakeEdge): Array<{ node: string; at: number }> {
  return edge.requests.map((r) => ({ node: /\((.+)\)$/.exec(r.userAgent)?.[1] ?? '?', at: r.at }));
}

/** Node names in probe order with repeats collapsed: ['a', 'b'] means a, then only b. */
function handOvers(edge: FakeEdge): string[] {
  const sequence: string[] = [];
  for (const { node } of probers(edge)) if (sequence[sequence.length - 1] !== node) sequence.push(node);
  return sequence;
}

describe('health checker singleton failover @integration', () => {
  let hub: LocalCluster;
  let edge: FakeEdge;
  let source: FakeServerSource;
  let writer: RecordingWriter;
  let nodes: SimNode[];

  beforeEach(async () => {
    hub = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 300 });
    edge = await startFakeEdge('ok');
    source = new FakeServerSource();
    source.servers.push(serverAt(edge.port, { healthcheckPath: '/a' }), serverAt(edge.port, { healthcheckPath: '/b' }));
    writer = new RecordingWriter(source);
    nodes = [];
  });

  afterEach(async () => {
    for (const node of nodes) {
      await node.system.stop();
      await node.store.close();
    }
    await edge.close();
  });

  function startNode(name: string): SimNode {
    const store = hub.store();
    const system = startActorSystem({ log: silentLogger });
    const node: SimNode = { name, store, system, rounds: [], held: [] };
    system.spawn(
      healthCheckerSpec({
        node: name,
        leases: store.leases,
        leaseTtlMs: LEASE_TTL_MS,
        servers: source,
        writer,
        intervalMs: INTERVAL_MS,
        fall: 2,
        rise: 2,
        timeoutMs: 150,
        onRound: (summary) => node.rounds.push(summary),
        onLeaseChange: (held) => node.held.push(held),
      }),
    );
    nodes.push(node);
    return node;
  }

  async function settledHolder(): Promise<{ holder: SimNode; other: SimNode }> {
    await until(() => nodes.some((n) => n.rounds.length >= 2), 3_000, 'a holder running rounds');
    const holder = nodes.find((n) => n.rounds.length > 0)!;
    const other = nodes.find((n) => n !== holder)!;
    expect(other.rounds, 'the other node must not probe').to.deep.equal([]);
    expect(other.held).to.deep.equal([]);
    expect((await holder.store.leases.holder('singleton.healthcheck'))?.holder).to.equal(holder.name);
    return { holder, other };
  }

  it('one node probes; killed (no release), the other takes over within 2 periods, never overlapping', async () => {
    startNode('node-a');
    startNode('node-b');
    const { holder, other } = await settledHolder();

    // SIGKILL: the node vanishes from the cluster store without releasing its lease.
    await holder.store.close();
    const killedAt = Date.now();
    await holder.system.stop();
    const lastOldProbe = Math.max(
      ...probers(edge)
        .filter((p) => p.node === holder.name)
        .map((p) => p.at),
    );

    await until(() => other.rounds.length >= 3, 4_000, 'the other node probing');
    const firstNewRound = other.rounds[0]!;
    expect(firstNewRound.startedAt - killedAt).to.be.at.most(2 * INTERVAL_MS);
    expect(firstNewRound.startedAt).to.be.greaterThan(lastOldProbe);
    expect(other.held).to.deep.equal([true]);
    expect(handOvers(edge)).to.deep.equal([holder.name, other.name]);
    expect(other.rounds.every((r) => r.probed === 2)).to.equal(true);
  });

  it('cut off from the store but still running, the old holder stops probing before the new one starts', async () => {
    startNode('node-a');
    startNode('node-b');
    const { holder, other } = await settledHolder();

    await holder.store.close(); // a partition: its actors keep running, renewals fail
    const cutAt = Date.now();
    await until(() => other.rounds.length >= 3, 4_000, 'the other node probing');
    expect(other.rounds[0]!.startedAt - cutAt).to.be.at.most(2 * INTERVAL_MS);
    expect(holder.held).to.deep.equal([true, false]);
    // After the hand-over only the new holder probes: node names switch exactly once.
    expect(handOvers(edge)).to.deep.equal([holder.name, other.name]);
    const rounds = [...holder.rounds, ...other.rounds].sort((x, y) => x.startedAt - y.startedAt);
    for (let i = 1; i < rounds.length; i += 1) {
      if (rounds[i]!.node !== rounds[i - 1]!.node) expect(rounds[i]!.startedAt).to.be.greaterThan(rounds[i - 1]!.finishedAt);
    }
  });

  it('a graceful stop hands the lease over at once, and the hysteresis of the new holder starts afresh', async () => {
    startNode('node-a');
    startNode('node-b');
    const { holder, other } = await settledHolder();
    edge.mode = 'status-500';
    await until(() => holder.rounds.some((r) => r.healthy === 0), 2_000, 'a failing round on the holder');
    const stoppedAt = Date.now();
    await holder.system.stop(); // releases the lease (hand-over), one failure counted so far at most
    await until(() => other.rounds.length >= 1, 2_000, 'the other node probing');
    expect(other.rounds[0]!.startedAt - stoppedAt).to.be.at.most(LEASE_TTL_MS);
    await until(() => other.rounds.some((r) => r.transitions > 0), 3_000, 'both servers marked unavailable');
    expect(writer.writes.map((w) => w.reason)).to.deep.equal([
      'unavailable after 2 failures: status 500',
      'unavailable after 2 failures: status 500',
    ]);
    // the new holder counted its own 2 failures
    expect(other.rounds.filter((r) => r.transitions > 0).map((r) => [r.round, r.transitions])).to.deep.equal([[2, 2]]);
  });
});
