// Helpers of the video tests: real MP4 files made with ffmpeg, uploads as an agent sends them.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** `seconds` of ffmpeg's test pattern at `rate` fps into `path`; `extra` output options go before it. */
function testPattern(path: string, seconds: number, rate: number, extra: string[] = []): Promise<unknown> {
  const input = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=320x240:rate=${rate}`];
  return run('ffmpeg', [...input, ...extra, '-pix_fmt', 'yuv420p', path]);
}

/** A playable MP4 of `seconds` of ffmpeg's test pattern; `seed` changes the picture (so the bytes). */
export async function makeMp4(dir: string, name: string, seconds = 2, seed = 0): Promise<Buffer> {
  const path = join(dir, name);
  await testPattern(path, seconds, 25, ['-vf', `drawtext=text='${seed}':x=10:y=10:fontsize=24:fontcolor=white`]).catch(() =>
    // drawtext needs fontconfig fonts; without them vary the pattern's rate instead.
    testPattern(path, seconds, 25 + seed),
  );
  return readFile(path);
}

/** A playable MP4 with its moov atom first (a browser or the agent starts before the end). */
export async function makeStreamableMp4(dir: string, name: string, seconds: number, rate = 25): Promise<Buffer> {
  const path = join(dir, name);
  await testPattern(path, seconds, rate, ['-movflags', '+faststart']);
  return readFile(path);
}

/** The pattern the tests' zones use: `<project>_<session>_<yyyymmddThhmmss>.mp4`. */
export const TEST_PATTERN = '(?<projectId>[A-Za-z0-9]+)_(?<sessionId>[A-Za-z0-9-]+)_(?<recordedAt>\\d{8}T\\d{6})\\.mp4';

export interface UploadOptions {
  sessionId?: string;
  projectId?: string;
  recordedAt?: string;
  sha?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export async function upload(baseUrl: string, zone: string, fileName: string, data: Buffer, opts: UploadOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'video/mp4',
    'x-session-id': opts.sessionId ?? 'sess-1',
    'x-recorded-at': opts.recordedAt ?? new Date().toISOString(),
    'x-sha256': opts.sha ?? sha256(data),
    ...(opts.projectId !== undefined ? { 'x-project-id': opts.projectId } : {}),
    ...(opts.token !== null && opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}),
    ...opts.headers,
  };
  return fetch(`${baseUrl}/api/v1/video/zones/${zone}/files/${fileName}`, { method: 'PUT', headers, body: data, redirect: 'manual' });
}

/** The body that creates a test zone: files in `storageDir`, links to `publicPort` on loopback. */
export function testZoneBody(name: string, storageDir: string, publicPort: number): Record<string, string | number> {
  return {
    name,
    publicAddress: '127.0.0.1',
    publicPort,
    storageDir,
    fileType: 'mp4',
    fileNamePattern: TEST_PATTERN,
    defaultStorageDays: 3650,
    uploadSpeedKbps: 3000,
  };
}
