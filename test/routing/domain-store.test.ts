// persistence/domain-model.ts on FerretDB: unique indexes naming fields, versions, and the
// all-or-nothing bulk replace through storage generations.
import { gunzipSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { Binary } from 'mongodb';
import { emptyDomainModel, type DomainModel, type Region, type Server } from '../../domain/routing/entities.js';
import { DuplicateKeyError } from '../../persistence/errors.js';
import {
  DOMAIN_META_COLLECTION,
  MongoDomainModelStore,
  domainCollectionName,
  ensureDomainStorage,
  type ModelSlice,
} from '../../persistence/domain-model.js';
import {
  MAX_LOGGED_INTENTS,
  MAX_LOGGED_RECORDS,
  changesCollectionName,
  logIntent,
  snapshotCollectionName,
} from '../../persistence/domain-snapshot.js';
import { splitChunk, type StoredSnapshot } from '../../domain/routing/model-chunks.js';
import { runMigrations } from '../../persistence/migrations.js';
import { MIGRATIONS } from '../../persistence/migrations/index.js';
import { silentLogger } from '../../domain/log.js';
import { useTestMongo } from '../support/ferretdb.js';
import { waitFor } from '../support/wait.js';
import { ChunkSink, fillFromStoredSnapshot } from '../../actors/routing/domain-model/tracked-snapshot.js';
import { createSnapshotRenewal } from '../../actors/routing/domain-model/snapshot-renewal.js';
import type { DomainGenerationPort } from '../../actors/routing/ports.js';

const region = (id: string, name: string): Region => ({ id, name, status: 'ACTIVE', serverGroupIds: [] });
const server = (id: string, domainName: string, extra: Partial<Server> = {}): Server => ({
  id,
  type: 'EDGE',
  domainName,
  ip: '10.0.0.1',
  port: 80,
  status: 'ACTIVE',
  availability: true,
  weight: 1,
  healthcheckEnabled: true,
  ...extra,
});

function model(parts: Partial<DomainModel>): DomainModel {
  return { ...emptyDomainModel(), ...parts };
}

function usable(snapshot: StoredSnapshot | { unusable: string }): StoredSnapshot {
  if ('unusable' in snapshot) throw new Error(`the stored snapshot is not usable: ${snapshot.unusable}`);
  return snapshot;
}

/** The records of a stored snapshot's chunks, by collection. */
function snapshotRecords(snapshot: StoredSnapshot): Map<string, Array<{ id: string; version: number }>> {
  const out = new Map<string, Array<{ id: string; version: number }>>();
  for (const chunk of snapshot.chunks) {
    const { collection, lines } = splitChunk(chunk.text)!;
    out.set(collection, [...(out.get(collection) ?? []), ...lines.map((line) => JSON.parse(line) as { id: string; version: number })]);
  }
  return out;
}

describe('persistence: the redirect domain model store @integration', function () {
  this.timeout(30_000);
  const mongo = useTestMongo({ dbPrefix: 'domain_store' });
  let store: MongoDomainModelStore;

  before(async () => {
    await runMigrations(mongo.db, silentLogger, MIGRATIONS);
    await ensureDomainStorage(mongo.db); // idempotent
    store = new MongoDomainModelStore(mongo.db);
  });

  it('the migration creates generation 1 with its unique indexes', async () => {
    const pointer = await mongo.db.collection(DOMAIN_META_COLLECTION).findOne({ _id: 'current' as never });
    expect(pointer?.generation).to.equal(1);
    const names = (await mongo.db.collection(domainCollectionName(1, 'servers')).indexes()).map((i) => i.name);
    expect(names).to.include.members(['servers_domainName_type_unique', 'servers_prefix_unique']);
  });

  it('inserts at version 1; unique clashes name their fields; a prefix is unique only when set', async () => {
    const gen = await store.at();
    const stored = await gen.insert('servers', server('s1', 'a.test'));
    expect(stored).to.include({ id: 's1', version: 1 });
    await gen.insert('servers', server('s2', 'b.test')); // no prefix twice is fine
    await gen.insert('servers', server('s3', 'c.test', { prefix: 'p1' }));
    for (const [record, fields] of [
      [server('s4', 'a.test'), ['domainName', 'type']],
      [server('s5', 'd.test', { prefix: 'p1' }), ['prefix']],
      [server('s1', 'e.test'), ['id']],
    ] as const) {
      try {
        await gen.insert('servers', record);
        expect.fail(`${record.id} should clash`);
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateKeyError);
        expect((err as DuplicateKeyError).fields).to.deep.equal(fields);
      }
    }
    const replaced = await gen.replace('servers', { ...stored, port: 8080 }, { version: 1, createdAt: stored.createdAt });
    expect(replaced).to.include({ version: 2, port: 8080, createdAt: stored.createdAt });
    expect((await gen.findBy('servers', { port: 8080 })).map((s) => s.id)).to.deep.equal(['s1']);
  });

  it('bulk replace: a new generation with versions above all earlier ones; creation times of kept records stay', async () => {
    const before = await store.at();
    const s1 = (await before.get('servers', 's1'))!;
    const result = await store.replaceAll(
      model({ regions: [region('r1', 'One')], servers: [server('s1', 'a.test'), server('n1', 'n.test')] }),
    );
    expect(result.storageGeneration).to.equal(before.generation + 1);
    expect(result.counts).to.include({ regions: 1, servers: 2 });
    const after = await store.at();
    expect(after.generation).to.equal(result.storageGeneration);
    const servers = await after.findAll('servers');
    expect(servers.map((s) => s.id)).to.deep.equal(['n1', 's1']);
    for (const s of servers) expect(s.version).to.be.greaterThan(2);
    expect(servers.find((s) => s.id === 's1')!.createdAt).to.equal(s1.createdAt);
  });

  it('a bulk replace that fails midway changes nothing visible and leaves nothing behind', async () => {
    const current = await store.at();
    const before = await current.loadModel();
    // Not validated on purpose: the unique index stops the write halfway through.
    const clashing = model({ regions: [region('x1', 'Same'), region('x2', 'Same')], servers: [server('z', 'z.test')] });
    try {
      await store.replaceAll(clashing);
      expect.fail('should fail');
    } catch (err) {
      expect(err).to.be.instanceOf(DuplicateKeyError);
    }
    const still = await store.at();
    expect(still.generation).to.equal(current.generation);
    expect(await still.loadModel()).to.deep.equal(before);
    const leftovers = await mongo.db.listCollections({ name: domainCollectionName(current.generation + 1, 'regions') }).toArray();
    expect(leftovers).to.deep.equal([]);
    // The next attempt works.
    const ok = await store.replaceAll(model({ regions: [region('x1', 'Same')] }));
    expect(ok.storageGeneration).to.equal(current.generation + 1);
  });

  it('a model arriving in slices: stored as it comes; slices that end in an error leave nothing behind and switch nothing', async () => {
    const current = await store.at();
    const before = await current.loadModel();
    const many = Array.from({ length: 4500 }, (_, i) => region(`bulk${i}`, `Bulk ${i}`));
    const inserted: string[] = [];
    async function* invalidAtTheEnd(): AsyncGenerator<ModelSlice> {
      for (let i = 0; i < many.length; i += 1000) yield { collection: 'regions', records: many.slice(i, i + 1000) };
      yield { collection: 'servers', records: [server('late', 'late.test')] };
      // The records above were inserted meanwhile (INSERT_CHUNK 2000): wait until MongoDB has some.
      const next = domainCollectionName(current.generation + 1, 'regions');
      await waitFor(
        'records of the new generation in MongoDB',
        10_000,
        async () => (await mongo.db.collection(next).countDocuments()) >= 4000,
      );
      inserted.push(next);
      throw new Error('the model is invalid after all');
    }
    try {
      await store.replaceAll(invalidAtTheEnd());
      expect.fail('should fail');
    } catch (err) {
      expect((err as Error).message).to.equal('the model is invalid after all');
    }
    expect(inserted, 'records were stored before the error').to.have.length(1);
    const still = await store.at();
    expect(still.generation).to.equal(current.generation);
    expect(await still.loadModel()).to.deep.equal(before);
    const prefix = `domain.g${current.generation + 1}.`;
    const leftovers = (await mongo.db.listCollections({}, { nameOnly: true }).toArray()).filter((c) => c.name.startsWith(prefix));
    expect(leftovers).to.deep.equal([]);

    async function* valid(): AsyncGenerator<ModelSlice> {
      for (let i = 0; i < many.length; i += 1000) yield { collection: 'regions', records: many.slice(i, i + 1000) };
      yield { collection: 'servers', records: [server('late', 'late.test')] };
    }
    let chunksBeforeIndexes = 0;
    const ok = await store.replaceAll(valid(), { beforeIndexes: (chunks) => (chunksBeforeIndexes = chunks.length) });
    expect(ok.counts).to.include({ regions: 4500, servers: 1 });
    expect(chunksBeforeIndexes).to.equal(ok.chunks.length);
    const gen = await store.at();
    expect(gen.generation).to.equal(ok.storageGeneration);
    expect(await gen.count('regions')).to.equal(4500);
    expect(snapshotRecords(usable(await gen.storedSnapshot())).get('regions')).to.have.length(4500);
  });

  it('a bulk replace builds the unique indexes before its switch and the look-up indexes after it; none a unique index covers', async () => {
    const result = await store.replaceAll(model({ regions: [region('r1', 'One')] }));
    const indexes = async (collection: 'subnets' | 'program-records'): Promise<string[]> =>
      (await mongo.db.collection(domainCollectionName(result.storageGeneration, collection)).listIndexes().toArray())
        .map((index) => String(index.name))
        .filter((name) => name !== '_id_')
        .sort();
    await result.lookupIndexes;
    expect(await indexes('subnets')).to.deep.equal(['subnets_cidr_unique', 'subnets_name_unique', 'subnets_regionId']);
    // programId leads the unique index: no index of its own.
    expect(await indexes('program-records')).to.deep.equal([
      'program-records_programId_protocol_encryption_unique',
      'program-records_serverId',
    ]);
  });

  describe('the stored snapshot and the change log', () => {
    it('a bulk replace stores its model as a checked snapshot, with an empty change log', async () => {
      const result = await store.replaceAll(
        model({ regions: [region('r1', 'One'), region('r2', 'Two')], servers: [server('s1', 'a.test'), server('s2', 'b.test')] }),
      );
      const gen = await store.at();
      const snapshot = usable(await gen.storedSnapshot());
      expect(snapshot.changed).to.deep.equal([]);
      const records = snapshotRecords(snapshot);
      expect(
        records
          .get('regions')!
          .map((r) => r.id)
          .sort(),
      ).to.deep.equal(['r1', 'r2']);
      const stored = await gen.findAll('servers');
      expect(records.get('servers')).to.deep.equal(result.model.servers);
      expect(
        records
          .get('servers')!
          .map((r) => r.id)
          .sort(),
      ).to.deep.equal(stored.map((r) => r.id).sort());
    });

    it('every single-record write is named in the change log (once per record), also one that fails after its intent', async () => {
      const gen = await store.at();
      await gen.insert('servers', server('s3', 'c.test'));
      const s1 = (await gen.get('servers', 's1'))!;
      await gen.replace('servers', { ...s1, port: 81 }, { version: s1.version, createdAt: s1.createdAt });
      await gen.replace('servers', { ...s1, port: 82 }, { version: s1.version, createdAt: s1.createdAt }).catch(() => undefined); // stale
      await gen.remove('regions', 'r2');
      const logged = (await gen.loggedChanges()).map((c) => `${c.collection}/${c.id}`).sort();
      expect(logged).to.deep.equal(['regions/r2', 'servers/s1', 'servers/s3']);
      expect(usable(await gen.storedSnapshot()).changed).to.have.length(3);
    });

    it('the next bulk replace keeps the creation times and outgrows the versions of the snapshot and the logged records', async () => {
      await store.replaceAll(model({ regions: [region('k1', 'Kept'), region('k2', 'Gone')] }));
      const gen = await store.at();
      const k1 = (await gen.get('regions', 'k1'))!;
      let bumped = k1;
      for (const name of ['Kept 2', 'Kept 3', 'Kept 4']) {
        bumped = await gen.replace('regions', { ...bumped, name }, { version: bumped.version, createdAt: bumped.createdAt });
      }
      const k5 = await gen.insert('regions', region('k5', 'Five'));
      await gen.remove('regions', 'k2');
      const result = await store.replaceAll(model({ regions: [region('k1', 'Kept'), region('k2', 'Back'), region('k5', 'Five')] }));
      const byId = new Map(result.model.regions.map((r) => [r.id, r as Region & { version: number; createdAt: string }]));
      expect(byId.get('k1')!.createdAt).to.equal(k1.createdAt);
      expect(byId.get('k5')!.createdAt).to.equal(k5.createdAt);
      expect(byId.get('k2')!.createdAt, 'a deleted record is created anew').to.not.equal(k1.createdAt);
      expect(byId.get('k1')!.version).to.be.greaterThan(bumped.version);
    });

    it('a snapshot with a chunk missing or altered, or no meta document, is refused', async () => {
      await store.replaceAll(model({ regions: [region('r1', 'One')] }));
      const gen = await store.at();
      const chunks = mongo.db.collection<{ _id: string; gz?: Binary }>(snapshotCollectionName(gen.generation));
      const c0 = (await chunks.findOne({ _id: 'c0' }))!;
      const altered = gunzipSync(c0.gz!.buffer).toString('utf8').replace('One', 'Uno');
      await chunks.updateOne({ _id: 'c0' }, { $set: { gz: new Binary(gzipSync(altered)) } });
      expect(await gen.storedSnapshot())
        .to.have.property('unusable')
        .that.matches(/chunk 0 is damaged/);
      await chunks.deleteOne({ _id: 'c0' });
      expect(await gen.storedSnapshot())
        .to.have.property('unusable')
        .that.matches(/chunk 0 of \d+ is missing/);
      await chunks.deleteOne({ _id: 'meta' });
      expect(await gen.storedSnapshot())
        .to.have.property('unusable')
        .that.matches(/no stored snapshot/);
    });

    it('a long change log makes the snapshot unusable: too many records logged, or too many writes to read', async () => {
      await store.replaceAll(model({ regions: [region('r1', 'One')] }));
      const gen = await store.at();
      const changes = mongo.db.collection(changesCollectionName(gen.generation));
      const intent = (id: string) => ({ collection: 'servers', id, at: new Date().toISOString() });
      await changes.insertMany(Array.from({ length: MAX_LOGGED_RECORDS + 1 }, (_, i) => intent(`s${i}`)));
      expect(await gen.storedSnapshot())
        .to.have.property('unusable')
        .that.matches(new RegExp(`${MAX_LOGGED_RECORDS + 1} records written since the snapshot`));
      await changes.deleteMany({});
      // Few records written many times: the log is not read past its cap.
      await changes.insertMany(Array.from({ length: MAX_LOGGED_INTENTS + 1 }, (_, i) => intent(`s${i % 10}`)));
      expect(await gen.storedSnapshot())
        .to.have.property('unusable')
        .that.matches(new RegExp(`more than ${MAX_LOGGED_INTENTS} writes logged`));
    });

    it("a generation's snapshot and change log are dropped with it; a new bulk replace starts an empty log", async () => {
      const old = await store.at();
      await logIntent(mongo.db, old.generation, 'servers', 'ghost');
      const result = await store.replaceAll(model({ regions: [region('r9', 'Nine')] }));
      const gen = await store.at();
      expect(gen.generation).to.equal(result.storageGeneration);
      expect(usable(await gen.storedSnapshot()).changed).to.deep.equal([]);
      // The generation before the previous one is dropped by this replace (the previous one is kept for readers).
      await store.replaceAll(model({ regions: [region('r8', 'Eight')] }));
      const names = (await mongo.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names).to.not.include(snapshotCollectionName(old.generation));
      expect(names).to.not.include(changesCollectionName(old.generation));
    });

    /** What a rebuild from the stored snapshot would serve, by collection and id. */
    async function rebuilt(gen: DomainGenerationPort): Promise<Map<string, unknown[]>> {
      const sink = new ChunkSink();
      await fillFromStoredSnapshot(gen, usable(await gen.storedSnapshot()), sink);
      return new Map(
        [...snapshotRecords({ chunks: sink.end(), changed: [], version: 0, settled: [] })].map(([c, list]) => [c, sortById(list)]),
      );
    }
    const sortById = <T extends { id: string }>(list: T[]): T[] => [...list].sort((a, b) => a.id.localeCompare(b.id));
    async function everyRecord(gen: DomainGenerationPort): Promise<Map<string, unknown[]>> {
      const out = new Map<string, unknown[]>();
      for (const collection of ['regions', 'servers'] as const) {
        const records = await gen.findAll(collection);
        if (records.length > 0) out.set(collection, sortById(records));
      }
      return out;
    }

    it('a renewal stores the model as it is now as the next version and forgets only the intents of finished writes', async () => {
      await store.replaceAll(
        model({ regions: [region('r1', 'One'), region('r2', 'Two')], servers: [server('s1', 'a.test'), server('s2', 'b.test')] }),
      );
      const gen = await store.at();
      const snapshots = mongo.db.collection<{ _id: string }>(snapshotCollectionName(gen.generation));
      await gen.insert('servers', server('s3', 'c.test'));
      const s1 = (await gen.get('servers', 's1'))!;
      await gen.replace('servers', { ...s1, port: 81 }, { version: s1.version, createdAt: s1.createdAt });
      // Refused by MongoDB (a stale version): over, like a write that succeeded.
      const stale = await gen
        .replace('servers', { ...s1, port: 82 }, { version: s1.version, createdAt: s1.createdAt })
        .catch((err: Error) => err);
      expect(stale).to.be.an('error');
      await gen.remove('regions', 'r2');
      // A write still in flight: its intent is logged, its record not written yet.
      await logIntent(mongo.db, gen.generation, 'servers', 's2');
      // Chunks of a renewal that stopped before its switch are ignored by readers and replaced.
      await snapshots.insertOne({ _id: 'v1.c0', count: 1, sha256: 'x', gz: new Binary(gzipSync('servers\n{}')) } as { _id: string });
      const before = usable(await gen.storedSnapshot());
      expect(before.version).to.equal(0);
      expect(before.changed).to.have.length(4);
      expect(before.settled, 'four writes over').to.have.length(4);

      const renewal = createSnapshotRenewal({ port: store }, (work) => work());
      expect(await renewal.renew(silentLogger)).to.deep.include({ storageGeneration: gen.generation, version: 1, forgotten: 4 });
      // The write in flight lands after the renewal read its record.
      await mongo.db
        .collection<{ _id: string }>(domainCollectionName(gen.generation, 'servers'))
        .updateOne({ _id: 's2' }, { $set: { port: 99 } });

      const after = usable(await gen.storedSnapshot());
      expect(after.version).to.equal(1);
      expect(after.changed.map((c) => `${c.collection}/${c.id}`)).to.deep.equal(['servers/s2']);
      const ids = (await snapshots.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
      expect(
        ids.filter((id) => id !== 'meta').every((id) => id.startsWith('v1.c')),
        `old chunks removed: ${ids.join(' ')}`,
      ).to.equal(true);
      const served = await rebuilt(gen);
      expect(served).to.deep.equal(await everyRecord(gen));
      expect((served.get('servers') as Server[]).find((s) => s.id === 's2')?.port).to.equal(99);
      expect(served.get('regions')!.map((r) => (r as Region).id)).to.deep.equal(['r1']);

      // And again: version 2 replaces version 1 the same way.
      await gen.insert('regions', region('r3', 'Three'));
      expect(await renewal.renew(silentLogger)).to.deep.include({ version: 2, forgotten: 1 });
      expect(usable(await gen.storedSnapshot()).version).to.equal(2);
      expect(await rebuilt(gen)).to.deep.equal(await everyRecord(gen));
    });

    it('a node renews the stored snapshot by itself once its writes made the log long', async () => {
      await store.replaceAll(model({ regions: [region('r1', 'One')] }));
      const gen = await store.at();
      const renewal = createSnapshotRenewal({ port: store }, (work) => work(), { intents: 5, checkEvery: 2 });
      for (let i = 0; i < 6; i++) {
        await gen.insert('regions', region(`n${i}`, `New ${i}`));
        renewal.afterWrite(silentLogger);
      }
      const renewed = await waitFor('the renewed snapshot', 10_000, async () => {
        const snapshot = usable(await gen.storedSnapshot());
        return snapshot.version === 1 ? snapshot : undefined;
      });
      expect(renewed.changed.length).to.be.lessThan(6);
      expect(await rebuilt(gen)).to.deep.equal(await everyRecord(gen));
    });
  });
});
