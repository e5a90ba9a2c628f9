import { expect } from 'chai';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FERRETDB_BIN, FERRETDB_INSERT_BATCH, startFerretDb } from '../../persistence/ferretdb.js';
import { BULK_INSERT_CHUNK } from '../../persistence/domain-model.js';
import { freePort } from '../support/ports.js';
import { rejection } from '../support/rejection.js';

describe('persistence FerretDB launcher (start failures)', () => {
  let dir: string;
  let server: Server | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'beamstack-fdb-launch-'));
  });

  after(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('points at .infra/bin/ferretdb by default', () => {
    expect(FERRETDB_BIN).to.match(/\/\.infra\/bin\/ferretdb$/);
  });

  it('says to run npm run setup when the binary is missing', async () => {
    const err = await rejection<Error>(startFerretDb({ binPath: join(dir, 'nope'), port: await freePort(), dataDir: join(dir, 'data') }));
    expect(err.message).to.include('FerretDB binary not found');
    expect(err.message).to.include('npm run setup');
  });

  it('reports an early exit with the last output lines', async () => {
    const fake = join(dir, 'fake-ferretdb');
    await writeFile(fake, '#!/bin/sh\necho "panic: something is wrong" >&2\nexit 2\n');
    await chmod(fake, 0o755);
    const lines: string[] = [];
    const err = await rejection<Error>(
      startFerretDb({ binPath: fake, port: await freePort(), dataDir: join(dir, 'data'), log: (l) => lines.push(l) }),
    );
    expect(err.message).to.include('FerretDB exited during start (exit code 2)');
    expect(err.message).to.include('panic: something is wrong');
    expect(lines).to.deep.equal(['panic: something is wrong']);
  });

  it('has FerretDB write a whole insert chunk of a bulk replace in one SQLite transaction', async () => {
    const fake = join(dir, 'args-ferretdb');
    await writeFile(fake, '#!/bin/sh\necho "$@" >&2\nexit 3\n');
    await chmod(fake, 0o755);
    const err = await rejection<Error>(startFerretDb({ binPath: fake, port: await freePort(), dataDir: join(dir, 'data') }));
    expect(FERRETDB_INSERT_BATCH).to.equal(BULK_INSERT_CHUNK);
    expect(err.message).to.include(`--test-batch-size=${FERRETDB_INSERT_BATCH}`);
  });

  it('refuses a port that is already taken', async () => {
    const fake = join(dir, 'never-started');
    await writeFile(fake, '#!/bin/sh\nsleep 30\n');
    await chmod(fake, 0o755);
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const err = await rejection<Error>(startFerretDb({ binPath: fake, port, dataDir: join(dir, 'data') }));
    expect(err.message).to.include(`port ${port}`);
    expect(err.message).to.include('already in use');
  });
});
