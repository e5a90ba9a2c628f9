// The domain-model and routing actors of two in-process "nodes" over one local cluster store
// and a real FerretDB: writes reach MongoDB and both routing views; missing maps are rebuilt.
import { expect } from 'chai';
import type { Db } from 'mongodb';
import { LocalCluster } from '../../cluster/local/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { silentLogger } from '../../domain/log.js';
import { startActorSystem, type ActorSystem } from '../../actors/kernel/index.js';
import {
  DOMAIN_META_KEY,
  DOMAIN_META_MAP,
  DOMAIN_PREPARED_KEY,
  DomainError,
  RoutingViewHolder,
  destroyGeneration,
  generationMap,
  readMeta,
  startRouting,
  type DomainMapsMeta,
  type RoutingBranch,
} from '../../actors/routing/index.js';
import { snapshotMap } from '../../actors/routing/snapshot.js';
import { MongoDomainModelStore, type ReplaceAllOptions } from '../../persistence/domain-model.js';
import { logIntent, snapshotCollectionName } from '../../persistence/domain-snapshot.js';
import type { DomainModel } from '../../domain/routing/entities.js';
import { useTestMongo } from '../support/ferretdb.js';
import { loadCases, observableView } from '../routing/helpers.js';
import { buildRoutingView } from '../../actors/routing/view.js';
import { waitFor as poll } from '../support/wait.js';

/**
 * The store, made to fail a bulk replace once its records are in when `fail()` says so; the
 * failure is answered once `failed()` resolved (the new maps were written). A successful one
 * returns only once `held()` resolves (MongoDB has switched, the cluster maps not yet).
 */
class FailingBeforeIndexes extends MongoDomainModelStore {
  constructor(
    db: Db,
    private readonly fail: () => boolean,
    private readonly failed: () => Promise<void>,
    private readonly held: () => Promise<void>,
  ) {
    super(db);
  }

  override async replaceAll(
    input: Parameters<MongoDomainModelStore['replaceAll']>[0],
    opts: ReplaceAllOptions = {},
  ): ReturnType<MongoDomainModelStore['replaceAll']> {
    if (!this.fail()) {
      const result = await super.replaceAll(input, opts);
      await this.held();
      return result;
    }
    try {
      return await super.replaceAll(input, {
        beforeIndexes: (chunks) => {
          opts.beforeIndexes?.(chunks);
          throw new Error('injected: the index build failed');
        },
      });
    } catch (err) {
      await this.failed();
      throw err;
    }
  }
}

interface TestNode {
  system: ActorSystem;
  store: ClusterStore;
  branch: RoutingBranch;
  /** Generations this node loaded ahead of their switch. */
  preloaded: number[];
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  return poll(what, timeoutMs, probe, { everyMs: 20, retryErrors: false });
}

async function expectDomainError(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DomainError);
    expect((err as DomainError).code).to.equal(code);
    if (pattern) expect((err as DomainError).message).to.match(pattern);
    return err as DomainError;
  }
  throw new Error(`expected a DomainError ${code}`);
}

/** Samples `probe` on every turn of the event loop until stopped. */
function sample<T>(probe: () => T): { stop(): T[] } {
  const seen: T[] = [];
  let running = true;
  const tick = (): void => {
    if (!running) return;
    seen.push(probe());
    setImmediate(tick);
  };
  tick();
  return {
    stop() {
      running = false;
      return seen;
    },
  };
}

describe('redirect: domain-model and routing actors on a local cluster + FerretDB @integration', function () {
  this.timeout(30_000);
  const mongo = useTestMongo({ dbPrefix: 'redirect_actors' });
  const cluster = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 500 });
  const nodes: TestNode[] = [];
  const { fixture } = loadCases();
  /** Nodes whose next bulk replace fails in MongoDB after the new maps were written. */
  const failBeforeIndexes = new Set<string>();
  /** Per node: what its next bulk replace waits for between MongoDB's switch and the maps'. */
  const holdAfterStore = new Map<string, Promise<void>>();

  function startTestNode(name: string, opts: { standbyHeapShare?: number } = {}): TestNode {
    const store = cluster.store();
    const system = startActorSystem({ log: silentLogger });
    const holder = new RoutingViewHolder();
    const preloaded: number[] = [];
    let branch: RoutingBranch | undefined;
    system.spawn<null, never>({
      name: 'routing',
      init(ctx) {
        branch = startRouting(ctx, {
          port: new FailingBeforeIndexes(
            mongo.db,
            () => failBeforeIndexes.delete(name),
            () => newMapsWritten(store, holder.generation),
            async () => {
              const hold = holdAfterStore.get(name);
              holdAfterStore.delete(name);
              await hold;
            },
          ),
          store,
          nodeName: name,
          holder,
          timing: { checkIntervalMs: 200 },
          onPreload: ({ generation }) => preloaded.push(generation),
          ...opts,
        });
        return null;
      },
      handle: (s) => s,
    });
    const node = {
      system,
      store,
      preloaded,
      get branch() {
        return branch!;
      },
    } as TestNode;
    nodes.push(node);
    return node;
  }

  after(async () => {
    for (const node of nodes) {
      await node.system.stop();
      await node.store.close();
    }
  });

  let a: TestNode;
  let b: TestNode;

  /** Waits until the snapshot map of a generation above `served` has chunks. */
  async function newMapsWritten(store: ClusterStore, served: number): Promise<void> {
    await waitFor('the new maps written', async () => {
      const sizes = await Promise.all([1, 2, 3].map(async (k) => (await snapshotMap(store, served + k).entries()).length));
      return sizes.some((n) => n > 0) || undefined;
    });
  }

  /** Waits until `node`'s view answers `requests` as a full build of `stored` does. */
  async function viewEqualsFullBuild(
    name: string,
    node: TestNode,
    stored: DomainModel,
    requests: ReadonlyArray<{ clientIp: string; path: string }>,
  ): Promise<void> {
    const expected = observableView(buildRoutingView(stored, node.branch.holder.generation), requests);
    await waitFor(`node ${name}'s view equals a full build`, () => {
      try {
        expect(observableView(node.branch.holder.current(), requests)).to.deep.equal(expected);
        return true;
      } catch {
        return undefined;
      }
    });
  }

  it('fresh cluster: the maps are built from MongoDB once and both views load', async () => {
    a = startTestNode('a');
    b = startTestNode('b');
    await waitFor('node a loaded', () => a.branch?.holder.loaded);
    await waitFor('node b loaded', () => b.branch?.holder.loaded);
    const meta = await readMeta(a.store);
    expect(meta?.generation).to.be.a('number');
    expect(a.branch.holder.generation).to.equal(meta!.generation);
  });

  it('bulk replace: stored, and both views switch to the new generation', async () => {
    const before = a.branch.holder.generation;
    const result = await a.branch.domain.replaceModel(fixture);
    expect(result.counts.servers).to.equal(4);
    await waitFor('b switched', () => b.branch.holder.generation > before && b.branch.holder.current().stats.servers === 4);
    const model = await b.branch.domain.getModel();
    expect(model.servers.map((s) => s.id).sort()).to.deep.equal(['d1', 'd2', 'e1', 'e2']);
    expect(model.servers.find((s) => s.id === 'e1')!.serverGroupIds).to.deep.equal(['g1']);
    expect(model.serverGroups[0]!.regionIds).to.deep.equal(['r1']);
    const versions = model.servers.map((s) => s.version!);
    expect(new Set(versions).size).to.equal(1);
  });

  it('an invalid bulk document is refused with details and changes nothing', async () => {
    const err = await expectDomainError(a.branch.domain.replaceModel({ ...(fixture as object), servers: [{ id: 'x' }] }), 'INVALID');
    expect(err.details.length).to.be.greaterThan(0);
    expect((await a.branch.domain.getModel()).servers).to.have.length(4);
  });

  it('a model found invalid after its first records were stored: INVALID, the old model still stored and served, nothing left behind', async () => {
    const served = a.branch.holder.generation;
    const storage = (await readMeta(a.store))!.storageGeneration;
    const doc = fixture as DomainModel;
    // Enough subnets for several slices and inserts; the last one names an unknown region, which
    // only the cross-record checks after every slice find.
    const subnets = Array.from({ length: 6000 }, (_, i) => ({
      id: `bulk${i}`,
      name: `Bulk ${i}`,
      cidr: `10.${i >> 8}.${i & 255}.0/24`,
      regionId: i === 5999 ? 'nowhere' : 'r1',
    }));
    const err = await expectDomainError(
      a.branch.domain.replaceModel({ ...doc, subnets: [...doc.subnets, ...subnets] }),
      'INVALID',
      /subnets\[6000\]\.regionId unknown region "nowhere"/,
    );
    expect(err.details).to.have.length(1);
    expect((await a.branch.domain.getModel()).subnets.map((x) => x.id)).to.deep.equal(['s1']);
    expect([a, b].map((n) => n.branch.holder.generation)).to.deep.equal([served, served]);
    expect((await readMeta(a.store))!.storageGeneration).to.equal(storage);
    const prefix = `domain.g${storage + 1}.`;
    const names = (await mongo.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names.filter((name) => name.startsWith(prefix))).to.deep.equal([]);
  });

  it('a bulk replace that fails in MongoDB after the new maps were written: the old model serves, the new maps are dropped', async () => {
    const served = a.branch.holder.generation;
    failBeforeIndexes.add('a');
    try {
      await a.branch.domain.replaceModel(fixture);
      expect.fail('should fail');
    } catch (err) {
      expect((err as Error).message).to.match(/injected: the index build failed/);
    }
    expect([a, b].map((n) => n.branch.holder.generation)).to.deep.equal([served, served]);
    expect((await readMeta(a.store))!.generation).to.equal(served);
    const prepared = [served + 1, served + 2, served + 3];
    await waitFor('the prepared maps dropped', async () => {
      const left = await Promise.all(prepared.map(async (g) => (await snapshotMap(a.store, g).entries()).length));
      return left.every((n) => n === 0) || undefined;
    });
    const after = await a.branch.domain.replaceModel(fixture);
    expect(after.generation).to.be.greaterThan(served);
    await waitFor(
      'both nodes serve the next model',
      () => [a, b].every((n) => n.branch.holder.generation === after.generation) || undefined,
    );
  });

  it("a patch through node a reaches node b's view", async () => {
    const started = Date.now();
    const patched = await a.branch.domain.patch('servers', 'e1', { port: 8080 });
    expect(patched.port).to.equal(8080);
    await waitFor('b sees port 8080', () => b.branch.holder.current().serversById.get('e1')?.port === 8080, 1000);
    expect(Date.now() - started).to.be.lessThan(1000);
  });

  it('unknown reference → INVALID, unique clash → CONFLICT, referenced delete → CONFLICT naming the referrers', async () => {
    await expectDomainError(
      a.branch.domain.create('subnets', { name: 'x', cidr: '10.0.0.0/8', regionId: 'nope' }),
      'INVALID',
      /unknown region "nope"/,
    );
    await expectDomainError(a.branch.domain.create('regions', { name: 'Region 1', status: 'ACTIVE' }), 'CONFLICT', /name "Region 1"/);
    await expectDomainError(a.branch.domain.remove('regions', 'r1'), 'CONFLICT', /still used by subnets s1/);
    await expectDomainError(a.branch.domain.get('regions', 'missing'), 'NOT_FOUND');
  });

  it("setAvailability (the health checker's writer) changes MongoDB and every view", async () => {
    await a.branch.domain.setAvailability('e2', false, 'test: 2 failed checks');
    expect((await b.branch.domain.get('servers', 'e2')).availability).to.equal(false);
    await waitFor('b sees e2 unavailable', () => b.branch.holder.current().serversById.get('e2')?.availability === false, 1000);
    await expectDomainError(a.branch.domain.setAvailability('missing', true, 'x'), 'NOT_FOUND');
  });

  it('delete pulls the id from lists and removes it from every view', async () => {
    await a.branch.domain.remove('servers', 'e2');
    const group = await b.branch.domain.get('server-groups', 'g1');
    expect(group.serverIds).to.not.include('e2');
    await waitFor('b drops e2', () => !b.branch.holder.current().serversById.has('e2'), 1000);
  });

  it('single-record changes through either node: every view equals a full build of the stored model', async () => {
    const generation = a.branch.holder.generation;
    await a.branch.domain.create('programs', {
      id: 'p9',
      linearChannelId: 'lc1',
      epgId: 'p9',
      name: 'Program 9',
      startDatetime: '2026-01-01T12:00:00Z',
      endDatetime: '2026-01-01T13:00:00Z',
    });
    await b.branch.domain.create('program-records', {
      id: 'pr9',
      programId: 'p9',
      serverId: 'd1',
      status: 'COMPLETED',
      protocol: 'HLS',
      encryption: 'NONE',
      path: 'rec/p9',
    });
    await a.branch.domain.patch('program-records', 'pr1', { path: 'rec/hls2' });
    await b.branch.domain.patch('tv-streams', 't1', { status: 'INACTIVE' });
    await a.branch.domain.patch('linear-channels', 'lc1', { name: 'Channel One' });
    await b.branch.domain.create('subnets', { id: 's9', name: 'Subnet 9', cidr: '10.9.0.0/16', regionId: 'r1' });
    await a.branch.domain.patch('servers', 'e1', { weight: 40 });
    await b.branch.domain.remove('program-records', 'pr9');
    await a.branch.domain.patch('programs', 'p1', { name: 'Program One' });
    const stored = await a.branch.domain.getModel();
    const requests = [
      ...loadCases().cases.map((c) => ({ clientIp: c.clientIp, path: c.path })),
      { clientIp: '10.9.1.1', path: '/live/ch1/mpd_wv' },
      { clientIp: '123.123.123.124', path: '/catchup/p9/hls/none' },
    ];
    for (const [name, node] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await viewEqualsFullBuild(name, node, stored, requests);
      expect(node.branch.holder.generation, 'no new generation: the changes were applied in place').to.equal(generation);
    }
  });

  it('maps lost (a restarted Hazelcast): one node rebuilds them from MongoDB and every view reloads', async () => {
    const meta = (await readMeta(a.store))!;
    await a.store.map(DOMAIN_META_MAP).clear();
    await destroyGeneration(a.store, meta.generation);
    await waitFor('a new generation', async () => {
      const next = await readMeta(a.store);
      return next !== undefined && next.generation > meta.generation ? next : undefined;
    });
    await waitFor('both views reloaded', () =>
      [a, b].every((n) => n.branch.holder.generation > meta.generation && n.branch.holder.current().stats.servers === 3),
    );
    expect(b.branch.holder.current().serversById.get('e1')?.port).to.equal(8080);
  });

  it('rebuildMaps (the rejoin step) reports counts, timings and the nodes that switched', async () => {
    const report = await b.branch.domain.rebuildMaps('test');
    expect(report.counts.servers).to.equal(3);
    expect(report.timings.totalMs).to.be.a('number');
    await waitFor('both on the new generation', () => [a, b].every((n) => n.branch.holder.generation === report.generation));
  });

  describe('generations: snapshot + delta maps', () => {
    it('a delete made after the snapshot is honoured on every node, also by one that loads the generation afresh', async () => {
      const report = await a.branch.domain.rebuildMaps('test: snapshot');
      await waitFor('both on the new generation', () => [a, b].every((n) => n.branch.holder.generation === report.generation));
      const subnet = a.branch.holder.current().model.subnets[0]!;
      await b.branch.domain.remove('subnets', subnet.id);
      const gone = (n: TestNode): boolean => !n.branch.holder.current().model.subnets.some((s) => s.id === subnet.id);
      await waitFor('a and b drop the subnet', () => [a, b].every(gone), 1000);
      const c = startTestNode('c');
      await waitFor('c loaded the same generation', () => c.branch?.holder.generation === report.generation);
      expect(gone(c), 'the tombstone in the delta map beats the snapshot').to.equal(true);
      await c.system.stop();
    });

    it('a generation whose snapshot is incomplete is never served; the last good one serves until a rebuild', async () => {
      const good = (await readMeta(a.store))!;
      const servers = a.branch.holder.current().stats.servers;
      const broken = good.generation + 1;
      // A writer that died after writing one chunk of two, with its meta switched anyway.
      await snapshotMap(a.store, broken).set('c0', 'regions\n', 1);
      const generations = sample(() => [a, b].map((n) => n.branch.holder.generation));
      await a.store.map(DOMAIN_META_MAP).set(DOMAIN_META_KEY, { ...good, generation: broken, chunks: 2 }, broken);
      await waitFor('a rebuilt generation above the broken one', () =>
        [a, b].every((n) => n.branch.holder.generation > broken && n.branch.holder.current().stats.servers === servers),
      );
      expect(generations.stop().flat()).to.not.include(broken);
    });

    it('a write racing the rebuild reaches every node', async () => {
      const ports = [9101, 9102, 9103, 9104, 9105];
      const writes = (async () => {
        for (const port of ports) await a.branch.domain.patch('servers', 'e1', { port });
      })();
      const [report] = await Promise.all([b.branch.domain.rebuildMaps('test: race'), writes]);
      await waitFor('every node serves the last write on the new generation', () =>
        [a, b].every(
          (n) => n.branch.holder.generation >= report.generation && n.branch.holder.current().serversById.get('e1')?.port === 9105,
        ),
      );
    });

    it('the old view serves until the new one swaps in whole', async () => {
      const before = a.branch.holder.current();
      const complete = before.stats;
      const views = sample(() => a.branch.holder.current());
      const report = await b.branch.domain.rebuildMaps('test: swap');
      await waitFor('a on the new generation', () => a.branch.holder.generation === report.generation);
      const seen = [...new Set(views.stop())];
      expect(seen[0]).to.equal(before);
      for (const view of seen) {
        expect([before.generation, report.generation]).to.include(view.generation);
        expect(view.stats.subnets).to.equal(complete.subnets);
        expect(view.stats.servers).to.equal(complete.servers);
      }
    });

    it('a rebuild reads the stored snapshot and every logged record afresh: an update, a delete and a creation after the snapshot, and a writer killed between its intent and its write', async () => {
      const before = a.branch.holder.generation;
      // 30 more subnets: 3 logged of 31 are read one by one, the servers (2 of 4 logged) by a scan.
      const extra = Array.from({ length: 30 }, (_, i) => ({
        id: `sx${i}`,
        name: `Extra ${i}`,
        cidr: `10.${100 + i}.0.0/16`,
        regionId: 'r1',
      }));
      const base = fixture as DomainModel;
      await a.branch.domain.replaceModel({ ...base, subnets: [...base.subnets, ...extra] });
      await waitFor('both on the bulk generation', () => [a, b].every((n) => n.branch.holder.generation > before));
      await b.branch.domain.patch('servers', 'e1', { port: 7070 });
      await a.branch.domain.remove('subnets', 's1');
      await a.branch.domain.remove('subnets', 'sx3');
      await b.branch.domain.patch('subnets', 'sx5', { name: 'Renamed 5' });
      await b.branch.domain.create('regions', { id: 'r77', name: 'Region 77', status: 'ACTIVE' });
      const gen = await new MongoDomainModelStore(mongo.db).at();
      // What a writer killed after its intent and before its record write leaves behind.
      await logIntent(mongo.db, gen.generation, 'servers', 'e2');
      const stored = await a.branch.domain.getModel();
      const report = await b.branch.domain.rebuildMaps('test: stored snapshot');
      expect(report.source).to.equal('stored snapshot');
      expect(report.logged, 'e1, e2 (the intent alone), s1, sx3, sx5, r77').to.equal(6);
      // A node that loads the new generation afresh: its snapshot alone must be the model as stored now.
      const c = startTestNode('c');
      try {
        await waitFor('c loaded the rebuilt generation', () => c.branch?.holder.generation === report.generation);
        const model = c.branch.holder.current().model;
        const subnets = model.subnets.map((s) => s.id);
        expect(subnets, 'a delete after the snapshot is honoured').to.not.include('s1');
        expect(subnets, 'a delete after the snapshot is honoured').to.not.include('sx3');
        expect(subnets).to.have.length(29);
        expect(model.subnets.find((x) => x.id === 'sx5')?.name).to.equal('Renamed 5');
        expect(model.regions.map((r) => r.id)).to.include('r77');
        expect(c.branch.holder.current().serversById.get('e1')?.port).to.equal(7070);
        expect(c.branch.holder.current().serversById.get('e2')).to.deep.include({ port: stored.servers.find((s) => s.id === 'e2')!.port });
        await viewEqualsFullBuild(
          'c',
          c,
          stored,
          loadCases().cases.map((x) => ({ clientIp: x.clientIp, path: x.path })),
        );
      } finally {
        await c.system.stop();
      }
    });

    it('a damaged stored snapshot is not used: the rebuild scans every record and serves the same model', async () => {
      const gen = await new MongoDomainModelStore(mongo.db).at();
      await mongo.db.collection<{ _id: string }>(snapshotCollectionName(gen.generation)).deleteOne({ _id: 'c0' });
      const stored = await a.branch.domain.getModel();
      const report = await a.branch.domain.rebuildMaps('test: damaged snapshot');
      expect(report.source).to.equal('full scan');
      expect(report.counts.subnets).to.equal(stored.subnets.length);
      await waitFor('both on the new generation', () => [a, b].every((n) => n.branch.holder.generation === report.generation));
      await viewEqualsFullBuild(
        'b',
        b,
        stored,
        loadCases().cases.map((x) => ({ clientIp: x.clientIp, path: x.path })),
      );
    });
  });

  describe('a bulk replace is loaded ahead of its switch', () => {
    /** A copy of the served generation's snapshot as generation `generation` (not switched to). */
    async function copyServedSnapshot(generation: number): Promise<DomainMapsMeta> {
      const served = (await readMeta(a.store))!;
      const chunks = await snapshotMap(a.store, served.generation).entries();
      await snapshotMap(a.store, generation).setAll(chunks);
      return { ...served, generation };
    }

    const announce = (meta: DomainMapsMeta): Promise<boolean> =>
      a.store.map(DOMAIN_META_MAP).set(DOMAIN_PREPARED_KEY, meta, meta.generation);
    const withdraw = (): Promise<void> => a.store.map(DOMAIN_META_MAP).delete(DOMAIN_PREPARED_KEY);
    const serving = (): number[] => [a, b].map((n) => n.branch.holder.generation);

    it('every node loads the new generation while MongoDB builds the indexes and serves it only after the switch', async () => {
      const served = a.branch.holder.generation;
      let release!: () => void;
      holdAfterStore.set('a', new Promise<void>((resolve) => (release = resolve)));
      const replacing = a.branch.domain.replaceModel(fixture);
      try {
        await waitFor(
          'both nodes loaded a new generation ahead',
          () => [a, b].every((n) => n.preloaded.some((g) => g > served)) || undefined,
        );
        expect(serving(), 'not served before the switch').to.deep.equal([served, served]);
        expect((await readMeta(a.store))!.generation).to.equal(served);
      } finally {
        release();
      }
      const result = await replacing;
      expect(a.preloaded).to.include(result.generation);
      expect(b.preloaded).to.include(result.generation);
      await waitFor('both serve it', () => serving().every((g) => g === result.generation) || undefined);
      expect(
        (await a.store.map(DOMAIN_META_MAP).entries()).map(([key]) => key),
        'the announcement withdrawn',
      ).to.deep.equal([DOMAIN_META_KEY]);
    });

    it('a prepared generation that cannot be read is neither served nor rebuilt', async () => {
      const good = (await readMeta(a.store))!;
      const broken = good.generation + 1;
      await snapshotMap(a.store, broken).set('c0', 'regions\n', 1);
      await announce({ ...good, generation: broken, chunks: 2 });
      // Messages are handled in order: once a later announcement is loaded, the broken one was tried.
      const next = await copyServedSnapshot(broken + 1);
      await announce(next);
      await waitFor('both loaded the readable one ahead', () => [a, b].every((n) => n.preloaded.includes(next.generation)) || undefined);
      expect([...a.preloaded, ...b.preloaded]).to.not.include(broken);
      expect(serving()).to.deep.equal([good.generation, good.generation]);
      expect((await readMeta(a.store))!.generation, 'no rebuild asked for').to.equal(good.generation);
      await withdraw();
      await Promise.all([broken, next.generation].map((g) => destroyGeneration(a.store, g)));
    });

    it('a withdrawn generation is dropped: switched to later, it is read afresh (and found gone)', async () => {
      const good = (await readMeta(a.store))!;
      const prepared = await copyServedSnapshot(good.generation + 10);
      await announce(prepared);
      await waitFor('both loaded it ahead', () => [a, b].every((n) => n.preloaded.includes(prepared.generation)) || undefined);
      await withdraw();
      await destroyGeneration(a.store, prepared.generation);
      const generations = sample(serving);
      await a.store.map(DOMAIN_META_MAP).set(DOMAIN_META_KEY, prepared, prepared.generation);
      await waitFor(
        'a generation rebuilt above the dropped one',
        () => [a, b].every((n) => n.branch.holder.generation > prepared.generation) || undefined,
      );
      expect(generations.stop().flat()).to.not.include(prepared.generation);
    });

    it('a node with no heap room for a second model does not load ahead: it loads at the switch', async () => {
      const c = startTestNode('c', { standbyHeapShare: 0 });
      try {
        await waitFor('c loaded', () => c.branch?.holder.loaded);
        const good = (await readMeta(a.store))!;
        const prepared = await copyServedSnapshot(good.generation + 1);
        await announce(prepared);
        await waitFor('a and b loaded it ahead', () => [a, b].every((n) => n.preloaded.includes(prepared.generation)) || undefined);
        await a.store.map(DOMAIN_META_MAP).set(DOMAIN_META_KEY, prepared, prepared.generation);
        await waitFor(
          'every node serves it',
          () => [a, b, c].every((n) => n.branch.holder.generation === prepared.generation) || undefined,
        );
        expect(c.preloaded).to.deep.equal([]);
        expect(c.branch.holder.current().stats.servers).to.equal(a.branch.holder.current().stats.servers);
        await withdraw();
      } finally {
        await c.system.stop();
      }
    });

    it('a record changed in the prepared generation before its switch is served with the change', async () => {
      const good = (await readMeta(a.store))!;
      const prepared = await copyServedSnapshot(good.generation + 1);
      await announce(prepared);
      await waitFor('both loaded it ahead', () => [a, b].every((n) => n.preloaded.includes(prepared.generation)) || undefined);
      const e1 = a.branch.holder.current().model.servers.find((s) => s.id === 'e1')!;
      await generationMap(a.store, prepared.generation, 'servers').set(
        'e1',
        { ...e1, port: 6161, version: e1.version! + 1 },
        e1.version! + 1,
      );
      await a.store.map(DOMAIN_META_MAP).set(DOMAIN_META_KEY, prepared, prepared.generation);
      await waitFor(
        'both serve it with the change',
        () =>
          [a, b].every(
            (n) => n.branch.holder.generation === prepared.generation && n.branch.holder.current().serversById.get('e1')?.port === 6161,
          ) || undefined,
      );
      await withdraw();
    });
  });
});
