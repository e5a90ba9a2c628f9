// Retention of one zone (docs/video.md, "Retention"): deletes files whose recordedAt +
// storageDays is past, unless held. Crash-safe and idempotent without transactions:
//   1. mark a batch of records `deleting` (only those still not held and not deleted),
//   2. read the intents back: a hold set meanwhile cancels an intent while its file exists,
//   3. remove each file (already gone is fine),
//   4. check each file is gone, then set deletedAt (and clear the intent) on those.
// A run killed anywhere leaves at most `deleting` intents, which every run finishes first, so
// a resumed run ends where an uninterrupted one would; deletedAt is never set while the file
// exists.
import { join } from 'node:path';
import type { Logger } from '../../domain/log.js';
import { resolveInside, type VideoRecording, type VideoZone } from '../../domain/video/index.js';
import { fileExists, removeFile } from './file-store.js';
import type { VideoStore } from './ports.js';

export interface RetentionItem {
  id: string;
  fileName: string;
  sessionId: string;
  recordedAt: string;
  storageDays: number;
}

export interface RetentionReport {
  zone: string;
  /** Files deleted (or found already gone) and marked deletedAt by this run. */
  deleted: RetentionItem[];
  /** Intents of an earlier, interrupted run that this run finished. */
  resumed: number;
  /** Skipped because a legal hold was set while they were being considered. */
  held: number;
  /** Could not be deleted (e.g. permission denied); tried again next run. */
  failed: Array<RetentionItem & { error: string }>;
  startedAt: string;
  finishedAt: string;
}

/** Records marked per step: one bulk write marks the intents, one marks them deleted. */
const BATCH = 100;

function itemOf(recording: VideoRecording): RetentionItem {
  return {
    id: recording.id,
    fileName: recording.fileName,
    sessionId: recording.sessionId,
    recordedAt: recording.recordedAt,
    storageDays: recording.storageDays,
  };
}

/** What the next run would delete (it also finishes pending intents, which are listed first). */
export async function previewRetention(zone: VideoZone, store: VideoStore, now = new Date(), limit = 10_000): Promise<RetentionItem[]> {
  const intents = await store.deletionIntents(zone.name);
  const expired = await store.expiredRecordings(zone.name, now, limit);
  const seen = new Set(intents.map((r) => r.id));
  return [...intents, ...expired.filter((r) => !seen.has(r.id))].slice(0, limit).map(itemOf);
}

export interface RetentionRunOptions {
  now?: () => Date;
  /** Called after each deletion (tests observe progress; metrics). */
  onDeleted?: (item: RetentionItem) => void;
  /** True when the run must stop early (the node is stopping or lost its lease). */
  cancelled?: () => boolean;
}

export async function runRetention(
  zone: VideoZone,
  store: VideoStore,
  log: Logger,
  opts: RetentionRunOptions = {},
): Promise<RetentionReport> {
  const now = opts.now ?? (() => new Date());
  const report: RetentionReport = {
    zone: zone.name,
    deleted: [],
    resumed: 0,
    held: 0,
    failed: [],
    startedAt: now().toISOString(),
    finishedAt: '',
  };
  const failedIds = new Set<string>();
  const tried = new Set<string>();

  /** Steps 2-4 for every pending intent; returns how many it finished. */
  async function finishIntents(): Promise<number> {
    const intents = (await store.deletionIntents(zone.name)).filter((r) => !failedIds.has(r.id));
    const gone: VideoRecording[] = [];
    for (const intent of intents) {
      if (opts.cancelled?.()) break;
      const path = resolveInside(zone.storageDir, intent.fileName) ?? join(zone.storageDir, intent.fileName);
      try {
        // A hold that came in while the file still exists wins over the intent.
        if (intent.legalHold && (await fileExists(path))) {
          await store.cancelDeleting(intent.id);
          report.held += 1;
          continue;
        }
        await removeFile(path);
        if (await fileExists(path)) throw new Error('the file is still there after removal');
        gone.push(intent);
      } catch (error) {
        failedIds.add(intent.id);
        await store.cancelDeleting(intent.id).catch(() => undefined);
        report.failed.push({ ...itemOf(intent), error: (error as Error).message });
        log.warn({ zone: zone.name, fileName: intent.fileName, err: (error as Error).message }, 'retention could not delete a file');
      }
    }
    // Only files proven gone are marked deleted.
    if (gone.length > 0)
      await store.markDeletedMany(
        zone.name,
        gone.map((r) => r.id),
        now(),
      );
    for (const recording of gone) {
      report.deleted.push(itemOf(recording));
      opts.onDeleted?.(itemOf(recording));
    }
    return gone.length;
  }

  // An earlier (interrupted) run's intents first.
  report.resumed = await finishIntents();
  for (;;) {
    if (opts.cancelled?.()) break;
    // Each record is tried once per run, so a run always ends (a failed one is retried next run).
    const batch = (await store.expiredRecordings(zone.name, now(), BATCH + tried.size)).filter((r) => !tried.has(r.id)).slice(0, BATCH);
    if (batch.length === 0) break;
    batch.forEach((r) => tried.add(r.id));
    // Step 1 for the batch; the store skips records held or deleted meanwhile, and the intents
    // are read back, so a hold set concurrently is seen (FerretDB updates are not isolated).
    await store.markDeletingMany(
      zone.name,
      batch.map((r) => r.id),
    );
    await finishIntents();
  }
  report.finishedAt = now().toISOString();
  if (report.deleted.length > 0 || report.failed.length > 0) {
    log.info({ zone: zone.name, deleted: report.deleted.length, resumed: report.resumed, failed: report.failed.length }, 'retention run');
  }
  return report;
}
