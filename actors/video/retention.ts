// Retention of one zone (docs/video.md, "Retention"): deletes files whose recordedAt +
// storageDays is past, unless held. Crash-safe and idempotent without transactions:
//   1. mark the record `deleting` (only if still not held and not deleted),
//   2. re-read it: a hold set meanwhile cancels the intent,
//   3. remove the file (already gone is fine),
//   4. check the file is gone, then set deletedAt and clear the intent.
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

const BATCH = 500;

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

export async function runRetention(zone: VideoZone, store: VideoStore, log: Logger, opts: RetentionRunOptions = {}): Promise<RetentionReport> {
  const now = opts.now ?? (() => new Date());
  const report: RetentionReport = { zone: zone.name, deleted: [], resumed: 0, held: 0, failed: [], startedAt: now().toISOString(), finishedAt: '' };
  const failedIds = new Set<string>();

  async function finish(recording: VideoRecording): Promise<void> {
    const path = resolveInside(zone.storageDir, recording.fileName) ?? join(zone.storageDir, recording.fileName);
    try {
      await removeFile(path);
      if (await fileExists(path)) throw new Error('the file is still there after removal');
      await store.markDeleted(recording.id, now());
      report.deleted.push(itemOf(recording));
      opts.onDeleted?.(itemOf(recording));
    } catch (error) {
      failedIds.add(recording.id);
      report.failed.push({ ...itemOf(recording), error: (error as Error).message });
      log.warn({ zone: zone.name, fileName: recording.fileName, err: (error as Error).message }, 'retention could not delete a file');
    }
  }

  // An earlier run's intents first: the file is removed unless a hold came in while it still exists.
  for (const intent of await store.deletionIntents(zone.name)) {
    if (opts.cancelled?.()) break;
    const path = resolveInside(zone.storageDir, intent.fileName);
    if (intent.legalHold && path !== undefined && (await fileExists(path))) {
      await store.cancelDeleting(intent.id);
      report.held += 1;
      continue;
    }
    await finish(intent);
    report.resumed += 1;
  }

  for (;;) {
    if (opts.cancelled?.()) break;
    const batch = (await store.expiredRecordings(zone.name, now(), BATCH)).filter((r) => !failedIds.has(r.id));
    if (batch.length === 0) break;
    for (const recording of batch) {
      if (opts.cancelled?.()) break;
      if (!(await store.markDeleting(recording.id))) continue;
      // FerretDB applies updates without isolation: a hold set concurrently with the intent
      // is seen by reading the record back.
      const current = await store.getRecording(recording.id);
      if (current === undefined || current.deletedAt !== undefined) continue;
      if (current.legalHold) {
        await store.cancelDeleting(recording.id);
        report.held += 1;
        continue;
      }
      await finish(current);
    }
  }
  report.finishedAt = now().toISOString();
  if (report.deleted.length > 0 || report.failed.length > 0) {
    log.info({ zone: zone.name, deleted: report.deleted.length, resumed: report.resumed, failed: report.failed.length }, 'retention run');
  }
  return report;
}
