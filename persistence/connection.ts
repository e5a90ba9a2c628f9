// The MongoDB connection of a node. The first connect retries with capped exponential backoff,
// logging one line per failure; afterwards the driver reconnects by itself. Server selection
// is short so operations fail fast (→ 503) while MongoDB is down instead of hanging.
import { MongoClient, type Db, type MongoClientOptions, type TopologyDescriptionChangedEvent } from 'mongodb';
import type { Logger } from '../domain/log.js';
import { isUnavailableError } from './errors.js';
import { redactMongoUrl, redactSecrets } from './redact.js';
import { errorText } from '../domain/errors.js';

export { isUnavailableError } from './errors.js';

export type MongoStatus = 'up' | 'down';

export interface ConnectMongoOptions {
  url: string;
  log: Logger;
  /** Database name; default: the one in the URL (else the driver's default, `test`). */
  dbName?: string;
  /** Where the URL came from, named in log lines. Default `MONGODB_URL`. */
  source?: string;
  /** How long an operation waits for a usable server before failing. Default 2000. */
  serverSelectionTimeoutMS?: number;
  /** Driver heartbeat period. Default 2000. */
  heartbeatFrequencyMS?: number;
  /** Period of the cheap `ping` that keeps `status()` honest. Default 5000; 0 disables. */
  pingIntervalMs?: number;
  /** First-connect backoff: starts here, doubles, stops growing at `retryMaxMs`. Defaults 250 / 5000. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Extra driver options (merged over ours). */
  clientOptions?: MongoClientOptions;
}

export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  /** The URL with credentials removed, for logs and error messages. */
  readonly safeUrl: string;
  status(): MongoStatus;
  /** Called on every up/down transition; returns an unsubscribe function. */
  onStatusChange(listener: (status: MongoStatus) => void): () => void;
  /** Resolves once the first connection succeeded; rejects if closed before that. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

function reasonOf(err: unknown, url: string): string {
  const message = errorText(err);
  const firstLine = message.split('\n', 1)[0]!.trim() || (err instanceof Error ? err.name : 'unknown error');
  return redactSecrets(firstLine, url);
}

export function connectMongo(opts: ConnectMongoOptions): MongoHandle {
  const { url, log } = opts;
  const source = opts.source ?? 'MONGODB_URL';
  const safeUrl = redactMongoUrl(url);
  const retryInitialMs = opts.retryInitialMs ?? 250;
  const retryMaxMs = Math.max(opts.retryMaxMs ?? 5000, retryInitialMs);
  const pingIntervalMs = opts.pingIntervalMs ?? 5000;

  let client: MongoClient;
  try {
    client = new MongoClient(url, {
      serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 2000,
      connectTimeoutMS: opts.serverSelectionTimeoutMS ?? 2000,
      heartbeatFrequencyMS: opts.heartbeatFrequencyMS ?? 2000,
      ...opts.clientOptions,
    });
  } catch (err) {
    throw new Error(`${source} is not a usable MongoDB URL (${safeUrl}): ${reasonOf(err, url)}`);
  }
  const db = client.db(opts.dbName);

  let current: MongoStatus = 'down';
  let closed = false;
  let connected = false;
  const listeners = new Set<(status: MongoStatus) => void>();

  function setStatus(next: MongoStatus): void {
    if (next === current || closed) return;
    current = next;
    if (connected) {
      if (next === 'down') log.warn(`MongoDB connection lost at ${safeUrl} (${source}); the driver keeps retrying`);
      else log.info(`MongoDB reachable again at ${safeUrl} (${source})`);
    }
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (err) {
        log.error({ err }, 'MongoDB status listener failed');
      }
    }
  }

  client.on('topologyDescriptionChanged', (event: TopologyDescriptionChangedEvent) => {
    if (!connected) return; // the connect loop decides until the first success
    setStatus(event.newDescription.hasDataBearingServers ? 'up' : 'down');
  });

  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const readyPromise = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  readyPromise.catch(() => {}); // nobody awaiting ready() is fine

  let sleepTimer: NodeJS.Timeout | undefined;
  let wakeSleep: (() => void) | undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wakeSleep = resolve;
      sleepTimer = setTimeout(resolve, ms);
    });

  let pingTimer: NodeJS.Timeout | undefined;
  let pinging = false;
  async function ping(): Promise<void> {
    if (pinging || closed) return;
    pinging = true;
    try {
      await db.command({ ping: 1 });
      setStatus('up');
    } catch (err) {
      if (isUnavailableError(err)) setStatus('down');
    } finally {
      pinging = false;
    }
  }

  async function connectLoop(): Promise<void> {
    let delay = retryInitialMs;
    for (let attempt = 1; !closed; attempt++) {
      try {
        await client.connect();
        await db.command({ ping: 1 });
        if (closed) return;
        connected = true;
        setStatus('up');
        log.info(`MongoDB connected at ${safeUrl}${attempt > 1 ? ` after ${attempt} attempts` : ''}`);
        resolveReady();
        if (pingIntervalMs > 0) {
          pingTimer = setInterval(() => void ping(), pingIntervalMs);
          pingTimer.unref();
        }
        return;
      } catch (err) {
        if (closed) return;
        const what = isUnavailableError(err) ? 'unreachable' : 'connection failed';
        log.warn(
          { attempt, retryInMs: delay },
          `MongoDB ${what} at ${safeUrl} (${source}): ${reasonOf(err, url)}; retrying in ${formatDelay(delay)}`,
        );
        await sleep(delay);
        delay = Math.min(delay * 2, retryMaxMs);
      }
    }
  }

  const loop = connectLoop();

  return {
    client,
    db,
    safeUrl,
    status: () => current,
    onStatusChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () => readyPromise,
    async close() {
      if (closed) return;
      closed = true;
      current = 'down';
      if (pingTimer !== undefined) clearInterval(pingTimer);
      if (sleepTimer !== undefined) clearTimeout(sleepTimer);
      wakeSleep?.();
      if (!connected) rejectReady(new Error(`MongoDB connection to ${safeUrl} closed before it was established`));
      await client.close();
      // A connect that was in flight may finish after the close above: close what it opened.
      await loop;
      await client.close();
    },
  };
}
