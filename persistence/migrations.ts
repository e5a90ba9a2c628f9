// Ordered, run-once schema migrations (indexes, data fixes). Applied ones are recorded in the
// `migrations` collection. Several nodes may start at once and FerretDB has no transactions,
// so each migration is claimed by inserting its record (`_id` = migration id, unique): the
// node whose insert wins runs it, the others wait until it is marked done. A claim whose
// holder stops renewing it (crashed node) is taken over once stale.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Logger } from '../domain/log.js';
import { isDuplicateKeyError } from './errors.js';
import { MIGRATIONS } from './migrations/index.js';
import { errorText } from '../domain/errors.js';

export interface Migration {
  /** Stable and sortable, e.g. `001-users-indexes`. Never rename an applied one. */
  id: string;
  description: string;
  /** Must be idempotent: a takeover after a crash may run it a second time. */
  up(db: Db): Promise<void>;
}

export const MIGRATIONS_COLLECTION = 'migrations';

interface MigrationRecord {
  _id: string;
  description: string;
  state: 'running' | 'done';
  owner: string;
  /** Epoch ms of the claim or its last renewal. */
  claimedAt: number;
  finishedAt?: number;
}

export interface RunMigrationsOptions {
  /** A running claim not renewed for this long is taken over. Default 60 s. */
  staleAfterMs?: number;
  /** How often a waiting node looks again. Default 250 ms. */
  pollMs?: number;
  /** Identifies this runner in claims. Default host:pid:random. */
  owner?: string;
}

export interface MigrationsResult {
  applied: string[];
  alreadyDone: string[];
}

function validate(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (typeof m.id !== 'string' || m.id.length === 0) throw new Error('a migration has no id');
    if (seen.has(m.id)) throw new Error(`migration id "${m.id}" appears twice`);
    seen.add(m.id);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runMigrations(
  db: Db,
  log: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
  opts: RunMigrationsOptions = {},
): Promise<MigrationsResult> {
  validate(migrations);
  const staleAfterMs = opts.staleAfterMs ?? 60_000;
  const pollMs = opts.pollMs ?? 250;
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const records = db.collection<MigrationRecord>(MIGRATIONS_COLLECTION);
  const result: MigrationsResult = { applied: [], alreadyDone: [] };

  const done = new Set((await records.find({ state: 'done' }, { projection: { _id: 1 } }).toArray()).map((r) => r._id));

  for (const migration of migrations) {
    if (done.has(migration.id)) {
      result.alreadyDone.push(migration.id);
      continue;
    }
    const ranHere = await applyOne(migration);
    (ranHere ? result.applied : result.alreadyDone).push(migration.id);
  }
  if (result.applied.length > 0) log.info(`migrations applied: ${result.applied.join(', ')}`);
  return result;

  /** Returns true when this runner applied it, false when another one did. */
  async function applyOne(migration: Migration): Promise<boolean> {
    for (;;) {
      if (await claim(migration)) {
        await execute(migration);
        return true;
      }
      const record = await records.findOne({ _id: migration.id });
      if (record === null) continue; // the holder gave up (failed): try to claim again
      if (record.state === 'done') return false;
      if (Date.now() - record.claimedAt > staleAfterMs) {
        const taken = await records.findOneAndUpdate(
          { _id: migration.id, state: 'running', owner: record.owner, claimedAt: record.claimedAt },
          { $set: { owner, claimedAt: Date.now() } },
          { returnDocument: 'after' },
        );
        if (taken !== null && taken.owner === owner) {
          log.warn(`migration ${migration.id}: taking over a stale claim from ${record.owner}`);
          await execute(migration);
          return true;
        }
        continue;
      }
      await sleep(pollMs);
    }
  }

  async function claim(migration: Migration): Promise<boolean> {
    try {
      await records.insertOne({
        _id: migration.id,
        description: migration.description,
        state: 'running',
        owner,
        claimedAt: Date.now(),
      });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async function execute(migration: Migration): Promise<void> {
    log.info(`migration ${migration.id}: ${migration.description}`);
    // Renew the claim while it runs so a slow migration is not mistaken for a dead one.
    const renew = setInterval(
      () => {
        void records.updateOne({ _id: migration.id, owner }, { $set: { claimedAt: Date.now() } }).catch(() => {});
      },
      Math.max(50, Math.floor(staleAfterMs / 3)),
    );
    renew.unref();
    try {
      await migration.up(db);
    } catch (err) {
      clearInterval(renew);
      await records.deleteOne({ _id: migration.id, owner }).catch(() => {});
      const message = errorText(err);
      throw new Error(`migration ${migration.id} failed: ${message}`, { cause: err });
    }
    clearInterval(renew);
    const marked = await records.updateOne({ _id: migration.id, owner }, { $set: { state: 'done', finishedAt: Date.now() } });
    if (marked.matchedCount === 0) {
      // Our claim was taken over meanwhile; the migration is idempotent, so the other run finishes it.
      log.warn(`migration ${migration.id}: claim was taken over while running`);
    }
  }
}
