// The files of a zone on its storage node: verified atomic writes, hashing, listing, removal.
// An upload is streamed to a temp file in the same directory while its sha256 is computed,
// fsynced, then linked to its final name (link fails if the name exists: no overwrite) and the
// temp name removed, so a reader never sees a partial file and a failure leaves nothing behind
// (docs/video.md, "Upload protocol").
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class ChecksumMismatchError extends Error {
  readonly code = 'INVALID';
  constructor(expected: string, actual: string) {
    super(`the body's sha256 is ${actual}, not ${expected} as x-sha256 says; nothing was stored`);
    this.name = 'ChecksumMismatchError';
  }
}

export class DiskFullError extends Error {
  readonly code = 'DISK_FULL';
  constructor(dir: string, options?: { cause?: unknown }) {
    super(`the storage directory ${dir} is full; nothing was stored`, options);
    this.name = 'DiskFullError';
  }
}

export class UploadAbortedError extends Error {
  readonly code = 'ABORTED';
  constructor(options?: { cause?: unknown }) {
    super('the upload was interrupted before its end; nothing was stored', options);
    this.name = 'UploadAbortedError';
  }
}

/** Opens a file for writing; a seam so tests can make the disk "fill up". */
export type OpenForWrite = (path: string) => Promise<FileHandle>;

export const openExclusive: OpenForWrite = (path) => open(path, 'wx', 0o644);

export type WriteOutcome = { kind: 'written'; sizeBytes: number } | { kind: 'exists'; sha256: string; sizeBytes: number };

const TEMP_PREFIX = '.upload-';

function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function hashingCounter(hash: ReturnType<typeof createHash>, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

/** sha256 (hex) and size of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  const counter = { bytes: 0 };
  await pipeline(createReadStream(path), hashingCounter(hash, counter), async function drain(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) void chunk;
  });
  return { sha256: hash.digest('hex'), sizeBytes: counter.bytes };
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

/**
 * Writes `body` to `dir/fileName` if its sha256 is `expectedSha256`. When the name already
 * exists the body is not kept and the existing file's hash is returned (the caller answers 200
 * or 409). Throws ChecksumMismatchError, DiskFullError or UploadAbortedError with nothing left
 * on disk.
 */
export async function writeVerifiedFile(
  dir: string,
  fileName: string,
  body: Readable,
  expectedSha256: string,
  openForWrite: OpenForWrite = openExclusive,
): Promise<WriteOutcome> {
  const finalPath = join(dir, fileName);
  const tempPath = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}.part`);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let handle: FileHandle | undefined;
  try {
    handle = await openForWrite(tempPath);
    // One awaited write per chunk: the socket is not read faster than the disk takes it, so
    // memory stays flat whatever the file size.
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    const actual = hash.digest('hex');
    if (actual !== expectedSha256.toLowerCase()) throw new ChecksumMismatchError(expectedSha256.toLowerCase(), actual);
    try {
      await link(tempPath, finalPath);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      return { kind: 'exists', ...(await hashFile(finalPath)) };
    }
    await fsyncDir(dir);
    return { kind: 'written', sizeBytes };
  } catch (error) {
    if (error instanceof ChecksumMismatchError) throw error;
    if (isDiskFull(error)) throw new DiskFullError(dir, { cause: error });
    const code = (error as { code?: unknown }).code;
    if (
      body.destroyed ||
      body.readableAborted ||
      code === 'ECONNRESET' ||
      code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      code === 'ECONNABORTED'
    ) {
      throw new UploadAbortedError({ cause: error });
    }
    throw error;
  } finally {
    await handle?.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
  }
}

export interface DirEntry {
  name: string;
  sizeBytes: number;
  mtime: Date;
}

/** Regular files of `dir` (not hidden, not temp files). A missing directory lists nothing. */
export async function listFiles(dir: string): Promise<DirEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
  const entries: DirEntry[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) entries.push({ name, sizeBytes: info.size, mtime: info.mtime });
  }
  return entries;
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false;
    throw error;
  }
}

/** Removes a file; an already missing file is fine (a resumed retention run). */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
}
