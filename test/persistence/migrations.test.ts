import { expect } from 'chai';
import type { Db } from 'mongodb';
import { MIGRATIONS_COLLECTION, runMigrations, type Migration } from '../../persistence/migrations.js';
import { MIGRATIONS } from '../../persistence/migrations/index.js';
import { silentLogger } from '../../domain/log.js';
import { useTestMongo, uniqueDbName } from '../support/ferretdb.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('persistence migrations @integration', function () {
  this.timeout(20_000);
  const mongo = useTestMongo({ dbPrefix: 'mig' });
  const freshDb = (): Db => mongo.handle.client.db(uniqueDbName('mig'));

  function counting(ids: string[], runs: Map<string, number>, delayMs = 0): Migration[] {
    return ids.map((id) => ({
      id,
      description: `test ${id}`,
      async up(db: Db) {
        runs.set(id, (runs.get(id) ?? 0) + 1);
        await sleep(delayMs);
        await db.collection('effects').insertOne({ migration: id });
      },
    }));
  }

  it('applies the real migrations: a unique email index on users', async () => {
    const db = freshDb();
    const result = await runMigrations(db, silentLogger);
    expect(result.applied).to.deep.equal(MIGRATIONS.map((m) => m.id));
    const indexes = await db.collection('users').indexes();
    const email = indexes.find((i) => i.name === 'users_email_unique');
    expect(email?.key).to.deep.equal({ email: 1 });
    expect(email?.unique).to.equal(true);
    const again = await runMigrations(db, silentLogger);
    expect(again).to.deep.equal({ applied: [], alreadyDone: MIGRATIONS.map((m) => m.id) });
  });

  it('applies each migration once when two runners start at the same time', async () => {
    const db = freshDb();
    const runs = new Map<string, number>();
    const list = counting(['001-a', '002-b', '003-c'], runs, 150);
    const [one, two] = await Promise.all([
      runMigrations(db, silentLogger, list, { owner: 'node-1', pollMs: 20 }),
      runMigrations(db, silentLogger, list, { owner: 'node-2', pollMs: 20 }),
    ]);
    expect([...runs.values()]).to.deep.equal([1, 1, 1]);
    expect([...one.applied, ...two.applied].sort()).to.deep.equal(['001-a', '002-b', '003-c']);
    expect(await db.collection('effects').countDocuments()).to.equal(3);
    const records = await db.collection(MIGRATIONS_COLLECTION).find().toArray();
    expect(records.map((r) => r.state)).to.deep.equal(['done', 'done', 'done']);
    const later = await runMigrations(db, silentLogger, list);
    expect(later.applied).to.deep.equal([]);
  });

  it('releases the claim of a failed migration so the next start retries it', async () => {
    const db = freshDb();
    let attempts = 0;
    const flaky: Migration = {
      id: '001-flaky',
      description: 'fails once',
      async up() {
        attempts += 1;
        if (attempts === 1) throw new Error('boom');
      },
    };
    let error: unknown;
    try {
      await runMigrations(db, silentLogger, [flaky]);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.include('migration 001-flaky failed: boom');
    expect(await db.collection(MIGRATIONS_COLLECTION).countDocuments()).to.equal(0);
    expect((await runMigrations(db, silentLogger, [flaky])).applied).to.deep.equal(['001-flaky']);
  });

  it('takes over a stale claim left by a crashed runner', async () => {
    const db = freshDb();
    await db
      .collection(MIGRATIONS_COLLECTION)
      .insertOne({ _id: '001-a' as never, description: 'x', state: 'running', owner: 'dead', claimedAt: Date.now() - 10_000 });
    const runs = new Map<string, number>();
    const result = await runMigrations(db, silentLogger, counting(['001-a'], runs), { staleAfterMs: 1000, pollMs: 20 });
    expect(result.applied).to.deep.equal(['001-a']);
    expect(runs.get('001-a')).to.equal(1);
  });

  it('refuses a list with duplicate ids', async () => {
    const m: Migration = { id: 'x', description: 'x', up: async () => {} };
    let error: unknown;
    try {
      await runMigrations(freshDb(), silentLogger, [m, m]);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.include('appears twice');
  });
});
