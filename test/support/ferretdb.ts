// A FerretDB for one test file: free loopback port, temp data dir, unique database name.
// Set TEST_MONGODB_URL to run the same tests against a MongoDB you run yourself (e.g. a real
// MongoDB 7) instead; FERRETDB_BIN overrides the binary (default .infra/bin/ferretdb).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../persistence/connection.js';
import { silentLogger } from '../../domain/log.js';
import { FERRETDB_BIN, startFerretDb, type FerretDbProcess } from '../../persistence/ferretdb.js';
import { freePort } from './ports.js';

export interface TestMongo {
  /** Server URL without a database, e.g. `mongodb://127.0.0.1:41234/`. */
  url: string;
  /** A database name unique to this test file. */
  dbName: string;
  /** The FerretDB process (undefined with TEST_MONGODB_URL). */
  ferret?: FerretDbProcess;
  port?: number;
  dataDir?: string;
  /** Drops the database (external Mongo) or stops FerretDB and removes its directory. */
  stop(): Promise<void>;
}

export function uniqueDbName(prefix = 'test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function ferretDbBin(): string {
  return process.env.FERRETDB_BIN ?? FERRETDB_BIN;
}

export async function startTestMongo(opts: { dbPrefix?: string; log?: (line: string) => void } = {}): Promise<TestMongo> {
  const dbName = uniqueDbName(opts.dbPrefix);
  const external = process.env.TEST_MONGODB_URL;
  if (external !== undefined && external !== '') {
    return {
      url: external,
      dbName,
      async stop() {
        const client = new MongoClient(external, { serverSelectionTimeoutMS: 2000 });
        try {
          await client.db(dbName).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'beamstack-ferretdb-'));
  const port = await freePort();
  let ferret: FerretDbProcess;
  try {
    ferret = await startFerretDb({ binPath: ferretDbBin(), port, dataDir, ...(opts.log ? { log: opts.log } : {}) });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: ferret.url,
    dbName,
    ferret,
    port,
    dataDir,
    async stop() {
      try {
        await ferret.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export interface SuiteMongo extends TestMongo {
  /** A connection to `dbName`, opened in `before` and closed in `after` before the server stops. */
  handle: MongoHandle;
  db: Db;
}

/**
 * Registers before/after hooks in the current `describe` that start one FerretDB for the suite
 * and connect to it. Read the returned object's fields inside tests (filled in by `before`).
 */
export function useTestMongo(opts: { dbPrefix?: string } = {}): SuiteMongo {
  const holder = {} as SuiteMongo;
  let started: TestMongo | undefined;
  let handle: MongoHandle | undefined;
  before(async function () {
    this.timeout(40_000);
    started = await startTestMongo(opts);
    handle = connectMongo({ url: started.url, dbName: started.dbName, log: silentLogger });
    await handle.ready();
    Object.assign(holder, started, { handle, db: handle.db });
  });
  after(async function () {
    this.timeout(15_000);
    // Close the client first: FerretDB waits for open connections when asked to stop.
    await handle?.close();
    await started?.stop();
  });
  return holder;
}
