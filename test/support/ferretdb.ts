// FerretDB for tests: a restartable handle on a free loopback port and a temp data directory,
// and a MongoDB for one test file (that handle, or one you run yourself) with a unique database.
// Set TEST_MONGODB_URL to run startTestMongo's users against a MongoDB you run yourself (e.g. a
// real MongoDB 7) instead; FERRETDB_BIN overrides the binary (default .infra/bin/ferretdb).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../persistence/connection.js';
import { silentLogger } from '../../domain/log.js';
import { FERRETDB_BIN, startFerretDb, type FerretDbProcess } from '../../persistence/ferretdb.js';
import { freePort } from './ports.js';
import { restartable, type Restartable } from './restartable.js';

export function uniqueDbName(prefix = 'test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function ferretDbBin(): string {
  return process.env.FERRETDB_BIN ?? FERRETDB_BIN;
}

/** `url` (a server URL) with `dbName` as its path. */
function databaseUrl(url: string, dbName: string): string {
  return `${url.replace(/\/?$/, '/')}${dbName}`;
}

export interface TestFerret extends Restartable<FerretDbProcess> {
  readonly port: number;
  readonly dataDir: string;
  /** Server URL without a database: `mongodb://127.0.0.1:<port>/`. */
  readonly url: string;
  /** A database name unique to this handle. */
  readonly dbName: string;
  /** `url` with `dbName`: what MONGODB_URL takes. */
  readonly mongodbUrl: string;
  /** Stops it and removes its data directory. */
  dispose(): Promise<void>;
}

/** A FerretDB on a free port; `started: false` only reserves the port and the directory. */
export async function testFerret(opts: { started?: boolean; dbPrefix?: string; log?: (line: string) => void } = {}): Promise<TestFerret> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'beamstack-ferretdb-'));
  const url = `mongodb://127.0.0.1:${port}/`;
  const dbName = uniqueDbName(opts.dbPrefix);
  const launch = (): Promise<FerretDbProcess> =>
    startFerretDb({ binPath: ferretDbBin(), port, dataDir, ...(opts.log ? { log: opts.log } : {}) });
  const ferret: TestFerret = Object.assign(restartable(launch), {
    port,
    dataDir,
    url,
    dbName,
    mongodbUrl: databaseUrl(url, dbName),
    async dispose(): Promise<void> {
      try {
        await ferret.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  });
  if (opts.started !== false) {
    try {
      await ferret.start();
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  return ferret;
}

export interface TestMongo {
  /** Server URL without a database, e.g. `mongodb://127.0.0.1:41234/`. */
  url: string;
  /** A database name unique to this test file. */
  dbName: string;
  /** `url` with `dbName`, as MONGODB_URL takes it. */
  mongodbUrl: string;
  /** The FerretDB (undefined with TEST_MONGODB_URL). */
  ferret?: TestFerret;
  port?: number;
  dataDir?: string;
  /** Drops the database (external Mongo) or stops FerretDB and removes its directory. */
  stop(): Promise<void>;
}

export async function startTestMongo(opts: { dbPrefix?: string; log?: (line: string) => void } = {}): Promise<TestMongo> {
  const external = process.env.TEST_MONGODB_URL;
  if (external !== undefined && external !== '') {
    const dbName = uniqueDbName(opts.dbPrefix);
    return {
      url: external,
      dbName,
      mongodbUrl: databaseUrl(external, dbName),
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
  const ferret = await testFerret(opts);
  return {
    url: ferret.url,
    dbName: ferret.dbName,
    mongodbUrl: ferret.mongodbUrl,
    ferret,
    port: ferret.port,
    dataDir: ferret.dataDir,
    stop: () => ferret.dispose(),
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
