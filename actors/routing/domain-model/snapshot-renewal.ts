// Renewal of the stored snapshot (docs/decisions.md, "A rejoin reads a stored snapshot…"): the
// change log of a storage generation only grows between bulk replaces, and past
// MAX_LOGGED_RECORDS a rebuild falls back to the full scan. So every `checkEvery` writes this
// node looks at the log's length, and past `intents` it writes the model as it is now as the
// next snapshot version, under the generation lease (no rebuild, bulk replace or other renewal
// runs meanwhile), which forgets the intents of the writes that had finished.
import { errorText } from '../../../domain/errors.js';
import type { Logger } from '../../../domain/log.js';
import type { DomainEnv } from './env.js';
import { ChunkSink, fillFromStoredSnapshot } from './tracked-snapshot.js';

export interface RenewalThresholds {
  /** Renew once the log holds this many intents of finished writes (well under MAX_LOGGED_RECORDS). */
  intents: number;
  /** Look at the log's length after this many writes of this node. */
  checkEvery: number;
}

export const DEFAULT_RENEWAL: RenewalThresholds = { intents: 1000, checkEvery: 100 };

export interface RenewalReport {
  storageGeneration: number;
  version: number;
  forgotten: number;
  chunks: number;
}

export interface SnapshotRenewal {
  /**
   * Called after every write of this node (`many`: one that wrote many records, an EPG import:
   * the log is looked at now); may start a renewal in the background.
   */
  afterWrite(log: Logger, many?: boolean): void;
  /** Renews now (undefined: the lease was busy, or there is nothing usable to renew). */
  renew(log: Logger): Promise<RenewalReport | undefined>;
}

export function createSnapshotRenewal(
  env: Pick<DomainEnv, 'port'>,
  withGenerationLease: <R>(work: () => Promise<R>) => Promise<R | undefined>,
  thresholds: RenewalThresholds = DEFAULT_RENEWAL,
): SnapshotRenewal {
  let writes = 0;
  let running = false;

  async function renewNow(log: Logger): Promise<RenewalReport | undefined> {
    const gen = await env.port.at();
    const stored = await gen.storedSnapshot();
    if ('unusable' in stored) {
      log.info({ storageGeneration: gen.generation, why: stored.unusable }, 'domain model: stored snapshot not renewed');
      return undefined;
    }
    if (stored.settled.length === 0) return undefined;
    const sink = new ChunkSink();
    // The records are read after the log was: each settled write is in what they hold.
    await fillFromStoredSnapshot(gen, stored, sink);
    const chunks = sink.end();
    const version = await gen.renewStoredSnapshot(stored, chunks);
    const report = { storageGeneration: gen.generation, version, forgotten: stored.settled.length, chunks: chunks.length };
    log.info(report, 'domain model: stored snapshot renewed');
    return report;
  }

  async function renew(log: Logger): Promise<RenewalReport | undefined> {
    return (await withGenerationLease(() => renewNow(log))) ?? undefined;
  }

  return {
    renew,
    afterWrite(log, many = false) {
      if ((++writes < thresholds.checkEvery && !many) || running) return;
      writes = 0;
      running = true;
      void (async () => {
        try {
          const gen = await env.port.at();
          if ((await gen.logLength()) >= thresholds.intents) await renew(log);
        } catch (err) {
          log.warn({ err: errorText(err) }, 'domain model: renewing the stored snapshot failed; the next check tries again');
        } finally {
          running = false;
        }
      })();
    },
  };
}
