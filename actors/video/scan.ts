// One pass of a zone's indexer over its storageDir (docs/video.md, "Files dropped into
// storageDir"): registers files whose names match the zone's fileNamePattern and are not
// indexed yet, marks records whose file vanished as missing, and clears `missing` when the
// file is back.
import { join } from 'node:path';
import type { Logger } from '../../domain/log.js';
import { checkFileName, compileFileNamePattern, parseFileName, type VideoZone } from '../../domain/video/index.js';
import { fileExists, hashFile, listFiles } from './file-store.js';
import type { VideoStore } from './ports.js';

export interface ScanSummary {
  registered: number;
  markedMissing: number;
  found: number;
  /** Files whose names do not match the pattern (left alone). */
  ignored: number;
}

export async function scanZone(zone: VideoZone, store: VideoStore, log: Logger): Promise<ScanSummary> {
  const summary: ScanSummary = { registered: 0, markedMissing: 0, found: 0, ignored: 0 };
  const compiled = compileFileNamePattern(zone.fileNamePattern);
  if (!compiled.ok) {
    log.warn({ zone: zone.name }, `fileNamePattern ${compiled.message}; not scanning`);
    return summary;
  }
  const repaired = await store.repairSessionIndex(zone.name);
  if (repaired > 0) log.warn({ zone: zone.name, repaired }, 'session index repaired');
  const files = await listFiles(zone.storageDir);
  const records = await store.zoneFiles(zone.name);
  const known = new Map(records.map((record) => [record.fileName, record]));
  const present = new Set<string>();

  for (const file of files) {
    present.add(file.name);
    const record = known.get(file.name);
    if (record !== undefined) {
      if (record.missing && !record.deleted) {
        await store.setMissing(record.id, false);
        summary.found += 1;
      }
      continue;
    }
    const parsed = checkFileName(file.name, zone.fileType).ok ? parseFileName(compiled.regex, file.name) : undefined;
    if (parsed === undefined) {
      summary.ignored += 1;
      continue;
    }
    // The file may still be arriving (rsync writes to a temp name, but cp does not); its hash
    // is taken now and a later change is not followed. Agents upload through the API instead.
    const { sha256, sizeBytes } = await hashFile(join(zone.storageDir, file.name)).catch(() => ({ sha256: '', sizeBytes: -1 }));
    if (sizeBytes < 0) continue; // vanished meanwhile
    const result = await store.registerRecording({
      zone: zone.name,
      sessionId: parsed.sessionId,
      ...(parsed.projectId !== undefined ? { projectId: parsed.projectId } : {}),
      fileName: file.name,
      recordedAt: parsed.recordedAt ?? file.mtime.toISOString(),
      storageDays: zone.defaultStorageDays,
      sizeBytes,
      sha256,
    });
    if (result.created) summary.registered += 1;
  }

  for (const record of records) {
    if (record.deleted || record.missing || present.has(record.fileName)) continue;
    // Listed before the records were read: a file uploaded in between is not missing.
    if (await fileExists(join(zone.storageDir, record.fileName))) continue;
    await store.setMissing(record.id, true);
    summary.markedMissing += 1;
  }
  if (summary.registered > 0 || summary.markedMissing > 0 || summary.found > 0) {
    log.info({ zone: zone.name, ...summary }, 'storage scan');
  }
  return summary;
}
