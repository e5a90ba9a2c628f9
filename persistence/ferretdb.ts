// Starts a FerretDB v1 process (MongoDB wire protocol over SQLite) for `npm start` and tests.
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { BULK_INSERT_CHUNK } from './domain-model.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where `npm run setup` (bin/setup-infra.sh) installs the FerretDB binary. */
export const FERRETDB_BIN = resolve(REPO_ROOT, '.infra/bin/ferretdb');

export interface FerretDbOptions {
  binPath?: string;
  port: number;
  /** SQLite files and FerretDB state go here; created if missing. */
  dataDir: string;
  /** Receives every output line of the process. */
  log?: (line: string) => void;
  /** How long to wait for the first successful ping. Default 30 s. */
  startTimeoutMs?: number;
}

export interface FerretDbProcess {
  /** `mongodb://127.0.0.1:<port>/` */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL now (simulates a crash). */
  kill(): void;
  /** Exit code, or null when ended by a signal. */
  exited: Promise<number | null>;
}

const HOST = '127.0.0.1';
const OUTPUT_LINES_KEPT = 20;
/**
 * Documents FerretDB writes per SQLite transaction (its default is 100). Each transaction
 * commits — and in WAL mode syncs — once, so a bulk replace of 113 000 records paid ~1 100
 * commits; at the size of our own insert chunks one `insertMany` is one commit
 * (docs/decisions.md, "FerretDB insert batch").
 */
export const FERRETDB_INSERT_BATCH = BULK_INSERT_CHUNK;

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = tcpConnect({ host: HOST, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function pingOnce(url: string): Promise<boolean> {
  const client = new MongoClient(url, { directConnection: true, serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFerretDb(opts: FerretDbOptions): Promise<FerretDbProcess> {
  const binPath = resolve(opts.binPath ?? FERRETDB_BIN);
  const { port } = opts;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`FerretDB port must be 1..65535, got ${port}`);
  try {
    await access(binPath, fsConstants.X_OK);
  } catch {
    throw new Error(`FerretDB binary not found (or not executable) at ${binPath}; run "npm run setup" to build it`);
  }
  if (await portAcceptsConnections(port)) {
    throw new Error(`cannot start FerretDB: port ${port} on ${HOST} is already in use`);
  }
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });

  const child = spawn(
    binPath,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--listen-addr=${HOST}:${port}`,
      `--state-dir=${dataDir}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=error',
      `--test-batch-size=${FERRETDB_INSERT_BATCH}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );

  const recent: string[] = [];
  const onLine = (line: string): void => {
    recent.push(line);
    if (recent.length > OUTPUT_LINES_KEPT) recent.shift();
    opts.log?.(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);

  // If this Node process exits without stopping FerretDB, do not leave it running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let hasExited = false;
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) {
        hasExited = true;
        process.removeListener('exit', killOnExit);
        resolveExit(null);
      }
    });
    child.once('exit', (code) => {
      hasExited = true;
      process.removeListener('exit', killOnExit);
      resolveExit(code);
    });
  });

  const url = `mongodb://${HOST}:${port}/`;
  const stop = async (): Promise<void> => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited) {
      const code = await exited;
      const why = spawnError ? spawnError.message : `exit code ${code}`;
      throw new Error(`FerretDB exited during start (${why})${recent.length > 0 ? `:\n${recent.join('\n')}` : ''}`);
    }
    if ((await portAcceptsConnections(port)) && (await pingOnce(url))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`FerretDB did not answer on ${HOST}:${port} within ${opts.startTimeoutMs ?? 30_000} ms`);
    }
    await delay(100);
  }

  return {
    url,
    port,
    pid: child.pid!,
    stop,
    kill: () => {
      if (!hasExited) child.kill('SIGKILL');
    },
    exited,
  };
}
