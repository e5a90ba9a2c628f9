import { expect } from 'chai';
import type { Db } from 'mongodb';
import { ensureIndexes, type IndexSpec } from '../../persistence/indexes.js';
import { Repository, type EntityMeta } from '../../persistence/repository.js';
import { DuplicateKeyError, NotFoundError, VersionConflictError } from '../../persistence/errors.js';
import { UsersRepository } from '../../persistence/users.js';
import type { UsersPort } from '../../actors/auth/ports.js';
import { runMigrations } from '../../persistence/migrations.js';
import { silentLogger } from '../../domain/log.js';
import { useTestMongo } from '../support/ferretdb.js';
import { rejection } from '../support/rejection.js';

interface Gadget extends EntityMeta {
  name: string;
  kind: string;
  code: string;
  rank: number;
  tags: string[];
  // `| undefined`: a test checks that an explicit undefined is omitted when stored.
  note?: string | undefined;
}

const GADGET_INDEXES: IndexSpec<Gadget>[] = [
  { name: 'gadgets_name_unique', fields: ['name'], unique: true },
  { name: 'gadgets_kind_code_unique', fields: ['kind', 'code'], unique: true },
];

describe('persistence repository @integration', function () {
  this.timeout(20_000);
  const mongo = useTestMongo({ dbPrefix: 'repo' });
  let db: Db;
  let gadgets: Repository<Gadget>;
  let clock = Date.parse('2026-01-01T00:00:00.000Z');

  before(async () => {
    db = mongo.db;
    await ensureIndexes(db, 'gadgets', GADGET_INDEXES);
    gadgets = new Repository<Gadget>(db, 'gadgets', {
      uniqueIndexes: GADGET_INDEXES,
      now: () => new Date((clock += 1000)),
    });
  });

  it('inserts with version 1, timestamps and a generated uuid v7 id, and reads back without _id', async () => {
    const g = await gadgets.insert({ name: 'alpha', kind: 'K', code: 'a', rank: 1, tags: ['x'] });
    expect(g.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(g.version).to.equal(1);
    expect(g.createdAt).to.equal(g.updatedAt);
    const read = await gadgets.findById(g.id);
    expect(read).to.deep.equal(g);
    expect(read).to.not.have.property('_id');
    expect(await gadgets.findById('missing')).to.equal(null);
  });

  it('keeps a client-supplied id and omits undefined optional fields', async () => {
    const g = await gadgets.insert({ id: 'beta-id', name: 'beta', kind: 'K', code: 'b', rank: 2, tags: [], note: undefined });
    expect(g.id).to.equal('beta-id');
    expect(g).to.not.have.property('note');
    const raw = await db.collection('gadgets').findOne({ _id: 'beta-id' as never });
    expect(raw).to.not.have.property('note');
    expect(raw).to.not.have.property('id');
  });

  it('maps a unique clash to DuplicateKeyError naming the field(s)', async () => {
    const byName = await rejection(gadgets.insert({ name: 'alpha', kind: 'K', code: 'zzz', rank: 9, tags: [] }));
    expect(byName).to.be.instanceOf(DuplicateKeyError);
    expect((byName as DuplicateKeyError).fields).to.deep.equal(['name']);
    expect((byName as DuplicateKeyError).code).to.equal('DUPLICATE_KEY');
    expect((byName as Error).message).to.equal('gadgets: a record with the same name already exists');

    const compound = await rejection(gadgets.insert({ name: 'other', kind: 'K', code: 'a', rank: 9, tags: [] }));
    expect((compound as DuplicateKeyError).fields).to.deep.equal(['kind', 'code']);

    const byId = await rejection(gadgets.insert({ id: 'beta-id', name: 'gamma', kind: 'K', code: 'g', rank: 3, tags: [] }));
    expect((byId as DuplicateKeyError).fields).to.deep.equal(['id']);
    expect(await gadgets.count()).to.equal(2);
  });

  it('replaces with optimistic concurrency', async () => {
    const beta = (await gadgets.findById('beta-id'))!;
    const replaced = await gadgets.replace({ ...beta, rank: 20, note: 'hi' });
    expect(replaced.version).to.equal(2);
    expect(replaced.createdAt).to.equal(beta.createdAt);
    expect(replaced.updatedAt > beta.updatedAt).to.equal(true);
    expect(await gadgets.findById('beta-id')).to.deep.equal(replaced);

    const stale = await rejection(gadgets.replace({ ...beta, rank: 99 }));
    expect(stale).to.be.instanceOf(VersionConflictError);
    expect((stale as VersionConflictError).actualVersion).to.equal(2);
    expect((await gadgets.findById('beta-id'))!.rank).to.equal(20);

    const missing = await rejection(gadgets.replace({ ...beta, id: 'nope' }));
    expect(missing).to.be.instanceOf(NotFoundError);

    const clash = await rejection(gadgets.replace({ ...replaced, name: 'alpha' }));
    expect((clash as DuplicateKeyError).fields).to.deep.equal(['name']);
  });

  it('updates some fields atomically, removes fields set to undefined, checks versions', async () => {
    const updated = await gadgets.update('beta-id', { rank: 21, note: undefined }, 2);
    expect(updated.version).to.equal(3);
    expect(updated.rank).to.equal(21);
    expect(updated).to.not.have.property('note');
    expect(await rejection(gadgets.update('beta-id', { rank: 1 }, 2))).to.be.instanceOf(VersionConflictError);
    expect(await rejection(gadgets.update('nope', { rank: 1 }))).to.be.instanceOf(NotFoundError);
    const unconditional = await gadgets.update('beta-id', { tags: ['t1', 't2'] });
    expect(unconditional.version).to.equal(4);
    const compound = await rejection(gadgets.update('beta-id', { code: 'a', rank: 77 }));
    expect((compound as DuplicateKeyError).fields).to.deep.equal(['kind', 'code']);
    expect(await gadgets.findById('beta-id')).to.deep.equal(unconditional); // nothing half-written
  });

  it('deletes, refusing a stale version', async () => {
    const g = await gadgets.insert({ name: 'doomed', kind: 'D', code: 'd', rank: 0, tags: [] });
    expect(await rejection(gadgets.delete(g.id, 7))).to.be.instanceOf(VersionConflictError);
    expect(await gadgets.delete(g.id, 1)).to.equal(true);
    expect(await gadgets.delete(g.id)).to.equal(false);
    expect(await gadgets.findById(g.id)).to.equal(null);
  });

  it('pages with limit/offset/sort and reports the total', async () => {
    await gadgets.deleteMany({});
    for (let i = 0; i < 7; i++) {
      await gadgets.insert({
        id: `p${i}`,
        name: `page-${6 - i}`,
        kind: i % 2 === 0 ? 'EVEN' : 'ODD',
        code: `c${i}`,
        rank: i,
        tags: [`t${i % 3}`],
      });
    }
    const first = await gadgets.find({}, { limit: 3, sort: { name: 1 } });
    expect(first.total).to.equal(7);
    expect(first.items.map((g) => g.name)).to.deep.equal(['page-0', 'page-1', 'page-2']);
    const last = await gadgets.find({}, { limit: 3, offset: 6, sort: { name: 1 } });
    expect(last.items.map((g) => g.name)).to.deep.equal(['page-6']);
    expect((await gadgets.find({}, { offset: 10 })).items).to.deep.equal([]);
    expect((await gadgets.find({}, { limit: 0 })).total).to.equal(7);

    const even = await gadgets.find({ kind: 'EVEN' }, { sort: { rank: -1 } });
    expect(even.total).to.equal(4);
    expect(even.items.map((g) => g.rank)).to.deep.equal([6, 4, 2, 0]);
    const byId = await gadgets.find({ id: 'p3' });
    expect(byId.items.map((g) => g.name)).to.deep.equal(['page-3']);
    expect((await gadgets.find({ tags: 't1' })).items.map((g) => g.id)).to.deep.equal(['p1', 'p4']);
    expect((await gadgets.findAll()).map((g) => g.id)).to.deep.equal(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(await gadgets.exists({ kind: 'ODD', rank: 3 })).to.equal(true);
  });

  it('refuses operator filters (no query injection)', async () => {
    const bad = { name: { $ne: '' } } as unknown as Partial<Gadget>;
    expect(await rejection(gadgets.find(bad as never))).to.be.instanceOf(TypeError);
    expect(await rejection(gadgets.find({ $where: 'x' } as never))).to.be.instanceOf(TypeError);
  });

  describe('UsersRepository', () => {
    let users: UsersRepository;

    before(async () => {
      await runMigrations(db, silentLogger);
      users = new UsersRepository(db);
    });

    it('satisfies the users actor port (compile-time check)', () => {
      const port: UsersPort = users;
      expect(port).to.equal(users);
    });

    it('stores emails lower-cased, finds them case-insensitively and refuses duplicates', async () => {
      const u = await users.create({ email: ' Admin@Example.com ', role: 'ADMIN', passwordHash: 'scrypt$x', name: 'Ada' });
      expect(u.email).to.equal('admin@example.com');
      expect((await users.findByEmail('ADMIN@example.COM'))?.id).to.equal(u.id);
      expect(await users.findByEmail('nobody@example.com')).to.equal(null);
      const dup = await rejection(users.create({ email: 'admin@EXAMPLE.com', role: 'MANAGER', passwordHash: 'h' }));
      expect(dup).to.be.instanceOf(DuplicateKeyError);
      expect((dup as DuplicateKeyError).fields).to.deep.equal(['email']);
    });

    it('lists, counts, updates and deletes', async () => {
      const m = await users.create({ email: 'manager@example.com', role: 'MANAGER', passwordHash: 'h' });
      expect(await users.count()).to.equal(2);
      expect(await users.count({ role: 'ADMIN' })).to.equal(1);
      const page = await users.list({ limit: 1 });
      expect(page.total).to.equal(2);
      expect(page.items.map((u) => u.email)).to.deep.equal(['admin@example.com']);

      const renamed = await users.update(m.id, { name: 'Max', email: 'MAX@example.com', role: undefined }, 1);
      expect(renamed).to.include({ name: 'Max', email: 'max@example.com', role: 'MANAGER', version: 2 });
      const unnamed = await users.update(m.id, { name: undefined });
      expect(unnamed).to.not.have.property('name');
      const clash = await rejection(users.update(m.id, { email: 'admin@example.com' }));
      expect((clash as DuplicateKeyError).fields).to.deep.equal(['email']);
      expect(await users.delete(m.id)).to.equal(true);
      expect(await users.count()).to.equal(1);
    });
  });
});
