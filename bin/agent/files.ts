// Finding the files to upload: regular files of the zone's type directly in the folder
// (hidden files such as the journal are skipped), and telling finished ones from files a
// recorder is still writing: a file is finished when its size and mtime did not change
// between two looks `settleMs` apart.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FoundFile {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export function hasType(fileName: string, fileType: string): boolean {
  return !fileName.startsWith('.') && fileName.toLowerCase().endsWith(`.${fileType.toLowerCase()}`);
}

/** Regular files of `fileType` in `dir` (not in sub-folders), sorted by name. */
export async function listFiles(dir: string, fileType: string): Promise<FoundFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found: FoundFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !hasType(entry.name, fileType)) continue;
    const path = join(dir, entry.name);
    try {
      const info = await stat(path);
      found.push({ name: entry.name, path, size: info.size, mtimeMs: info.mtimeMs });
    } catch {
      // Gone between readdir and stat: not finished, not ours to report.
    }
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Of `candidates`, those unchanged (size and mtime) after `settleMs`, as seen on the second look. */
export async function settled(candidates: FoundFile[], settleMs: number, signal?: AbortSignal): Promise<FoundFile[]> {
  if (candidates.length === 0) return [];
  await sleep(settleMs, undefined, signal ? { signal } : undefined);
  const finished: FoundFile[] = [];
  for (const first of candidates) {
    try {
      const info = await stat(first.path);
      if (info.isFile() && info.size === first.size && info.mtimeMs === first.mtimeMs && info.size > 0) finished.push(first);
    } catch {
      // Removed meanwhile.
    }
  }
  return finished;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
