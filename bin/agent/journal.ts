// The agent's journal: what it did with each file, in `<dir>/.beamstack-agent.json`, so a
// restart never uploads a finished file again. Rewritten whole after every file, atomically
// (temp file, fsync, rename): a crash leaves the old journal or the new one, never half.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const JOURNAL_FILE = '.beamstack-agent.json';

/** uploaded: 201; stored: the server had the same bytes (200); conflict: other bytes under that name (409); rejected: 400. */
export type JournalStatus = 'uploaded' | 'stored' | 'conflict' | 'rejected';

export interface JournalEntry {
  status: JournalStatus;
  size: number;
  mtimeMs: number;
  sha256: string;
  at: string;
  message?: string;
}

interface JournalDocument {
  version: 1;
  zone: string;
  files: Record<string, JournalEntry>;
}

export class Journal {
  private constructor(
    readonly path: string,
    private readonly document: JournalDocument,
  ) {}

  /** Reads the journal of `dir` (a new one when there is none). A corrupt journal is an error, not a reset. */
  static async load(dir: string, zone: string): Promise<Journal> {
    const path = join(dir, JOURNAL_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Journal(path, { version: 1, zone, files: {} });
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(
        `the journal ${path} is not valid JSON; move it away to start over (files already on the server are then answered "already stored")`,
      );
    }
    const document = parsed as Partial<JournalDocument>;
    if (document.version !== 1 || typeof document.files !== 'object' || document.files === null) {
      throw new Error(`the journal ${path} has an unknown format`);
    }
    if (document.zone !== zone) {
      throw new Error(`the journal ${path} belongs to zone "${document.zone}", not "${zone}"; one folder serves one zone`);
    }
    return new Journal(path, { version: 1, zone, files: document.files });
  }

  /** The entry for `fileName` when the file is still the one it describes (same size and mtime). */
  done(fileName: string, size: number, mtimeMs: number): JournalEntry | undefined {
    const entry = Object.hasOwn(this.document.files, fileName) ? this.document.files[fileName] : undefined;
    return entry !== undefined && entry.size === size && entry.mtimeMs === mtimeMs ? entry : undefined;
  }

  entries(): Readonly<Record<string, JournalEntry>> {
    return this.document.files;
  }

  async record(fileName: string, entry: JournalEntry): Promise<void> {
    this.document.files[fileName] = entry;
    await this.save();
  }

  private async save(): Promise<void> {
    const temp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(this.document, null, 1)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
