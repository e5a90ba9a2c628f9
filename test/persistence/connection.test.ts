import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectMongo, isUnavailableError, type MongoHandle, type MongoStatus } from '../../persistence/connection.js';
import { startFerretDb, type FerretDbProcess } from '../../persistence/ferretdb.js';
import { Repository, type EntityMeta } from '../../persistence/repository.js';
import { StoreUnavailableError } from '../../persistence/errors.js';
import { freePort } from '../support/ports.js';
import { ferretDbBin, uniqueDbName } from '../support/ferretdb.js';
import { captureLogger } from '../support/capture-logger.js';
import { waitFor as poll } from '../support/wait.js';

interface Note extends EntityMeta {
  text: string;
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  await poll(what, timeoutMs, check, { everyMs: 50, retryErrors: false });
}

describe('persistence connection @integration', function () {
  this.timeout(40_000);
  let dataDir: string;
  let port: number;
  let ferret: FerretDbProcess | undefined;
  let handle: MongoHandle | undefined;
  let startTimer: NodeJS.Timeout | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'beamstack-conn-'));
    port = await freePort();
  });

  after(async () => {
    if (startTimer !== undefined) clearTimeout(startTimer);
    await handle?.close();
    await ferret?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (): Promise<FerretDbProcess> => {
    ferret = await startFerretDb({ binPath: ferretDbBin(), port, dataDir });
    return ferret;
  };

  it('keeps retrying until FerretDB starts later, then becomes ready', async () => {
    const log = captureLogger();
    handle = connectMongo({
      url: `mongodb://127.0.0.1:${port}/`,
      dbName: uniqueDbName('conn'),
      log,
      serverSelectionTimeoutMS: 400,
      heartbeatFrequencyMS: 500,
      retryInitialMs: 100,
      retryMaxMs: 400,
      pingIntervalMs: 300,
    });
    expect(handle.status()).to.equal('down');
    const startedLater = new Promise<FerretDbProcess>((resolve, reject) => {
      startTimer = setTimeout(() => void start().then(resolve, reject), 1000);
    });
    // A FerretDB that cannot start fails the test at once instead of waiting for ready() forever.
    await Promise.race([handle.ready(), startedLater.then(() => handle!.ready())]);
    await startedLater;
    expect(handle.status()).to.equal('up');
    const failures = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(failures.length).to.be.greaterThanOrEqual(1);
    expect(failures[0]).to.match(
      new RegExp(`^MongoDB unreachable at mongodb://127\\.0\\.0\\.1:${port}/ \\(MONGODB_URL\\): .*ECONNREFUSED.*; retrying in 100ms$`),
    );
    await handle.db.collection('notes').insertOne({ _id: 'n1' as never, text: 'hello' });
  });

  it('fails fast while FerretDB is down and recovers by itself when it returns on the same port', async () => {
    // This test continues from the previous one's server and connection: without them it fails.
    if (ferret === undefined || handle === undefined) throw new Error('the previous test did not start FerretDB and connect');
    const h = handle;
    const notes = new Repository<Note>(h.db, 'notes');
    expect((await notes.findById('n1'))?.text).to.equal('hello');

    const transitions: MongoStatus[] = [];
    const unsubscribe = h.onStatusChange((s) => transitions.push(s));
    ferret.kill();
    await ferret.exited;

    const began = Date.now();
    let error: unknown;
    try {
      await notes.insert({ text: 'while down' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(StoreUnavailableError);
    expect(isUnavailableError(error)).to.equal(true);
    expect(Date.now() - began).to.be.lessThan(3000);
    await waitFor('status down', () => h.status() === 'down', 5000);

    await start();
    await waitFor('status up again', () => h.status() === 'up', 10_000);
    const inserted = await notes.insert({ text: 'after restart' });
    expect((await notes.findById(inserted.id))?.text).to.equal('after restart');
    expect((await notes.findById('n1'))?.text).to.equal('hello'); // data survived (same SQLite dir)
    expect(transitions).to.deep.equal(['down', 'up']);
    unsubscribe();
  });
});
