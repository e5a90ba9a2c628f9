// The EPG folders of a node (docs/scheduling.md, "Files"): `inbox/` holds fetched files
// waiting for import, `processed/` the imported ones, `failed/` the rejected ones with the
// reason in `<name>.reason.txt`, `tmp/` downloads in progress. A file enters the inbox by
// rename, so the import never sees half a download.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EpgFiles } from './ports.js';

/** Names the fetch accepts (docs/scheduling.md): letters, digits, _ and `.xml`. */
export const EPG_FILE_NAME = /^[A-Za-z0-9_]+\.xml$/;
const REASON_SUFFIX = '.reason.txt';
const LISTED = 200;

export class EpgFolders {
  readonly inbox: string;
  readonly processed: string;
  readonly failed: string;
  readonly tmp: string;

  constructor(readonly root: string) {
    this.inbox = join(root, 'inbox');
    this.processed = join(root, 'processed');
    this.failed = join(root, 'failed');
    this.tmp = join(root, 'tmp');
  }

  async ensure(): Promise<void> {
    await Promise.all([this.inbox, this.processed, this.failed, this.tmp].map((dir) => mkdir(dir, { recursive: true })));
  }

  /** A fresh temp path for downloading `name`. */
  tempPath(name: string): string {
    return join(this.tmp, `${name}.${randomBytes(4).toString('hex')}.part`);
  }

  /** Moves a finished download into the inbox (atomic: same file system). */
  async admit(tempPath: string, name: string): Promise<void> {
    await rename(tempPath, join(this.inbox, name));
  }

  async discardTemp(tempPath: string): Promise<void> {
    await rm(tempPath, { force: true });
  }

  /** Leftovers of downloads cut short by a crash. */
  async clearTemp(): Promise<void> {
    for (const name of await readdir(this.tmp).catch(() => [] as string[])) await rm(join(this.tmp, name), { force: true });
  }

  /** Inbox files, oldest first (by modification time, then name). */
  async inboxByAge(): Promise<string[]> {
    const names = (await readdir(this.inbox)).filter((n) => EPG_FILE_NAME.test(n));
    const withTimes = await Promise.all(
      names.map(async (name) => ({ name, mtime: (await stat(join(this.inbox, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
    );
    return withTimes.sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name)).map((f) => f.name);
  }

  readInbox(name: string): Promise<string> {
    return readFile(join(this.inbox, name), 'utf8');
  }

  /** Size of `name` in a folder, or undefined when absent. */
  async sizeIn(folder: 'inbox' | 'processed' | 'failed', name: string): Promise<number | undefined> {
    return (await stat(join(this[folder], name)).catch(() => undefined))?.size;
  }

  async markProcessed(name: string): Promise<void> {
    await rm(join(this.failed, name + REASON_SUFFIX), { force: true });
    await rename(join(this.inbox, name), join(this.processed, name));
  }

  /** The reason is written first, so a failed file never lacks one. */
  async markFailed(name: string, reason: string): Promise<void> {
    await writeFile(join(this.failed, name + REASON_SUFFIX), `${reason}\n`);
    await rename(join(this.inbox, name), join(this.failed, name));
  }

  async listing(): Promise<EpgFiles> {
    const list = async (dir: string): Promise<string[]> =>
      (await readdir(dir).catch(() => [] as string[])).filter((n) => EPG_FILE_NAME.test(n)).sort();
    const [inbox, processed, failedNames] = await Promise.all([list(this.inbox), list(this.processed), list(this.failed)]);
    const failed = await Promise.all(
      failedNames.slice(0, LISTED).map(async (name) => ({
        name,
        reason: (await readFile(join(this.failed, name + REASON_SUFFIX), 'utf8').catch(() => 'no reason recorded')).trim(),
      })),
    );
    return { inbox: inbox.slice(0, LISTED), processed: processed.slice(-LISTED), failed };
  }
}
