import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ChecksumMismatchError, DiskFullError, UploadAbortedError, writeVerifiedFile } from '../../actors/video/file-store.js';
import {
  checkFileName,
  compileFileNamePattern,
  parseFileName,
  parseRange,
  parseRecordedAt,
  playbackQuery,
  resolveInside,
  verifyPlayback,
} from '../../domain/video/index.js';
import { playbackPathOf } from '../../gateway/admin/routes/video-playback.js';
import { ConfigError, loadConfig } from '../../domain/config.js';
import { videoHttpError } from '../../gateway/admin/routes/video-errors.js';
import { NoStorageNodeError } from '../../actors/video/errors.js';

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const SECRET = 'x'.repeat(40);

describe('video: file name patterns', () => {
  const pattern = '(?<projectId>[A-Za-z0-9]+)_(?<sessionId>[A-Za-z0-9-]+)_(?<recordedAt>\\d{8}T\\d{6})\\.mp4';

  it('extracts session, project and date from a matching name', () => {
    const compiled = compileFileNamePattern(pattern);
    if (!compiled.ok) throw new Error(compiled.message);
    expect(parseFileName(compiled.regex, 'p42_sess-1_20240131T101500.mp4')).to.deep.equal({
      projectId: 'p42',
      sessionId: 'sess-1',
      recordedAt: '2024-01-31T10:15:00.000Z',
    });
  });

  it('matches the whole name only, and rejects names with a bad date', () => {
    const compiled = compileFileNamePattern(pattern);
    if (!compiled.ok) throw new Error(compiled.message);
    expect(parseFileName(compiled.regex, 'x/p42_s_20240131T101500.mp4')).to.equal(undefined);
    expect(parseFileName(compiled.regex, 'p42_s_20240131T101500.mp4.part')).to.equal(undefined);
    expect(parseFileName(compiled.regex, 'p42_s_20240231T101500.mp4')).to.equal(undefined);
  });

  it('refuses patterns that do not compile or lack a sessionId group', () => {
    expect(compileFileNamePattern('(?<sessionId>[a-z')).to.include({ ok: false });
    expect(compileFileNamePattern('(?<id>\\w+)\\.mp4')).to.include({ ok: false });
  });

  it('reads the usual date forms as UTC unless an offset is given', () => {
    expect(parseRecordedAt('20240131')).to.equal('2024-01-31T00:00:00.000Z');
    expect(parseRecordedAt('20240131-1015')).to.equal('2024-01-31T10:15:00.000Z');
    expect(parseRecordedAt('2024-01-31T10-15-00')).to.equal('2024-01-31T10:15:00.000Z');
    expect(parseRecordedAt('2024-01-31T10:15:00+03:00')).to.equal('2024-01-31T07:15:00.000Z');
    expect(parseRecordedAt('yesterday')).to.equal(undefined);
  });
});

describe('video: playback link signing', () => {
  it('verifies its own links and refuses tampered, foreign and expired ones', () => {
    const now = Date.UTC(2025, 0, 1);
    const query = Object.fromEntries(new URLSearchParams(playbackQuery(SECRET, 'kursk', 'a.mp4', 'user-1', 60, now)));
    expect(verifyPlayback(SECRET, 'kursk', 'a.mp4', query, now)).to.deep.equal({ ok: true, user: 'user-1' });
    expect(verifyPlayback(SECRET, 'kursk', 'b.mp4', query, now)).to.deep.equal({ ok: false, reason: 'bad-signature' });
    expect(verifyPlayback(SECRET, 'orel', 'a.mp4', query, now)).to.deep.equal({ ok: false, reason: 'bad-signature' });
    expect(verifyPlayback(SECRET, 'kursk', 'a.mp4', { ...query, u: 'user-2' }, now)).to.deep.equal({ ok: false, reason: 'bad-signature' });
    expect(verifyPlayback(SECRET, 'kursk', 'a.mp4', { ...query, exp: String(Number(query['exp']) + 1) }, now)).to.deep.equal({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyPlayback('y'.repeat(40), 'kursk', 'a.mp4', query, now)).to.deep.equal({ ok: false, reason: 'bad-signature' });
    expect(verifyPlayback(SECRET, 'kursk', 'a.mp4', query, now + 61_000)).to.deep.equal({ ok: false, reason: 'expired' });
    expect(verifyPlayback(SECRET, 'kursk', 'a.mp4', {}, now)).to.deep.equal({ ok: false, reason: 'missing' });
    expect(verifyPlayback(SECRET, 'kursk', 'a.mp4', { exp: ['1'], sig: 'x' }, now)).to.deep.equal({ ok: false, reason: 'missing' });
  });
});

describe('video: Range parsing', () => {
  it('single ranges, suffixes, open ends, clamping', () => {
    expect(parseRange(undefined, 100)).to.deep.equal({ kind: 'whole' });
    expect(parseRange('bytes=0-9', 100)).to.deep.equal({ kind: 'single', start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).to.deep.equal({ kind: 'single', start: 90, end: 99 });
    expect(parseRange('bytes=90-500', 100)).to.deep.equal({ kind: 'single', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).to.deep.equal({ kind: 'single', start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).to.deep.equal({ kind: 'single', start: 0, end: 99 });
  });

  it('unsatisfiable, several ranges and garbage', () => {
    expect(parseRange('bytes=100-', 100)).to.deep.equal({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).to.deep.equal({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-1,5-6', 100)).to.deep.equal({ kind: 'whole' });
    expect(parseRange('items=0-1', 100)).to.deep.equal({ kind: 'whole' });
    expect(parseRange('bytes=9-1', 100)).to.deep.equal({ kind: 'whole' });
    expect(parseRange('bytes=a-b', 100)).to.deep.equal({ kind: 'whole' });
    expect(parseRange('bytes=99999999999999999999-', 100)).to.deep.equal({ kind: 'unsatisfiable' });
  });
});

describe('video: path safety', () => {
  it('only plain names resolve inside the directory', () => {
    expect(resolveInside('/srv/v', 'a.mp4')).to.equal('/srv/v/a.mp4');
    for (const bad of ['..', '../a.mp4', '/etc/passwd', 'a/b.mp4', '.hidden', 'a\u0000.mp4', 'a..mp4', '', 'a\\b.mp4', '%2e%2e']) {
      expect(resolveInside('/srv/v', bad), bad).to.equal(undefined);
    }
    expect(checkFileName('a.mp4', 'mp4')).to.deep.equal({ ok: true });
    expect(checkFileName('a.avi', 'mp4')).to.include({ ok: false });
  });

  it('playback paths with traversal, encoded separators, NUL or absolute parts are refused', () => {
    expect(playbackPathOf('/video/files/kursk/a.mp4?exp=1')).to.deep.equal({ zone: 'kursk', fileName: 'a.mp4' });
    for (const bad of [
      '/video/files/kursk/../../etc/passwd',
      '/video/files/kursk/..%2f..%2fetc%2fpasswd',
      '/video/files/kursk/%2e%2e',
      '/video/files/kursk/%2E%2E%2Fsecret',
      '/video/files//etc/passwd',
      '/video/files/kursk/%2fetc%2fpasswd',
      '/video/files/kursk/a.mp4%00.txt',
      '/video/files/kursk/%zz',
      '/video/files/%2e%2e/a.mp4',
      '/video/files/kursk',
    ]) {
      expect(() => playbackPathOf(bad), bad)
        .to.throw()
        .with.property('statusCode', 400);
    }
  });
});

describe('video: verified atomic writes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'video-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the exact bytes under the final name and leaves no temp file', async () => {
    const data = Buffer.alloc(300_000, 7);
    const outcome = await writeVerifiedFile(dir, 'a.mp4', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), sha(data));
    expect(outcome).to.deep.equal({ kind: 'written', sizeBytes: data.length });
    expect(sha(await readFile(join(dir, 'a.mp4')))).to.equal(sha(data));
    expect(await readdir(dir)).to.deep.equal(['a.mp4']);
  });

  it('a checksum mismatch leaves nothing', async () => {
    const error = await writeVerifiedFile(dir, 'a.mp4', Readable.from([Buffer.from('abc')]), sha('abd')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(ChecksumMismatchError);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('never overwrites an existing name; reports its hash instead', async () => {
    await writeFile(join(dir, 'a.mp4'), 'old');
    const outcome = await writeVerifiedFile(dir, 'a.mp4', Readable.from([Buffer.from('new')]), sha('new'));
    expect(outcome).to.deep.equal({ kind: 'exists', sha256: sha('old'), sizeBytes: 3 });
    expect(await readFile(join(dir, 'a.mp4'), 'utf8')).to.equal('old');
    expect(await readdir(dir)).to.deep.equal(['a.mp4']);
  });

  it('an interrupted body leaves nothing', async () => {
    const body = new PassThrough();
    const writing = writeVerifiedFile(dir, 'a.mp4', body, sha('whatever'));
    body.write(Buffer.alloc(10_000, 1));
    setTimeout(() => body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), 20);
    const error = await writing.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(UploadAbortedError);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('a full disk (ENOSPC from the filesystem) is DiskFullError and leaves nothing', async () => {
    // The seam: the temp file is real, but its writes fail once 64 KiB are on disk.
    const openFilling = async (path: string): Promise<FileHandle> => {
      const handle = await open(path, 'wx');
      let written = 0;
      const realWrite = handle.write.bind(handle) as (...args: unknown[]) => Promise<unknown>;
      (handle as unknown as { write: (...args: unknown[]) => Promise<unknown> }).write = async (...args: unknown[]) => {
        const chunk = args[0] as Buffer;
        if (written + chunk.length > 65_536)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
        written += chunk.length;
        return realWrite(...args);
      };
      return handle;
    };
    const data = Buffer.alloc(1_000_000, 3);
    const error = await writeVerifiedFile(
      dir,
      'a.mp4',
      Readable.from([data.subarray(0, 40_000), data.subarray(40_000)]),
      sha(data),
      openFilling,
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(DiskFullError);
    expect(await readdir(dir)).to.deep.equal([]);
  });
});

describe('video: configuration', () => {
  const base = { SECRET_KEY_BASE: SECRET };

  it('reads VIDEO_ZONE, the intervals and VIDEO_LINK_TTL_S with their defaults', () => {
    const defaults = loadConfig(base);
    expect(defaults).to.include({ videoScanIntervalMs: 60_000, videoRetentionIntervalMs: 3_600_000, videoLinkTtlS: 3600 });
    expect(defaults.videoZone).to.equal(undefined);
    const set = loadConfig({
      ...base,
      VIDEO_ZONE: 'kursk',
      VIDEO_SCAN_INTERVAL_MS: '500',
      VIDEO_RETENTION_INTERVAL_MS: '1000',
      VIDEO_LINK_TTL_S: '60',
    });
    expect(set).to.include({ videoZone: 'kursk', videoScanIntervalMs: 500, videoRetentionIntervalMs: 1000, videoLinkTtlS: 60 });
  });

  it('a bad value names its variable', () => {
    for (const [name, value] of [
      ['VIDEO_LINK_TTL_S', 'soon'],
      ['VIDEO_LINK_TTL_S', '0'],
      ['VIDEO_ZONE', '../x'],
      ['VIDEO_SCAN_INTERVAL_MS', '-1'],
    ] as const) {
      expect(() => loadConfig({ ...base, [name]: value }), `${name}=${value}`)
        .to.throw(ConfigError)
        .with.property('variable', name);
    }
  });
});

describe('video: error statuses of the upload route', () => {
  it('a full disk is 507, no storage node 503, a broken upload 400', () => {
    expect(videoHttpError(new DiskFullError('/srv/v'))?.statusCode).to.equal(507);
    expect(videoHttpError(new DiskFullError('/srv/v'))?.code).to.equal('insufficient_storage');
    expect(videoHttpError(new NoStorageNodeError('kursk'))?.statusCode).to.equal(503);
    expect(videoHttpError(new UploadAbortedError())?.statusCode).to.equal(400);
    expect(videoHttpError(new Error('other'))).to.equal(undefined);
  });
});
