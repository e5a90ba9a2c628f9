// A full disk on the storage node, for real (docs/video.md, "Upload protocol"): the zone's
// storageDir is a 1 MiB tmpfs the test mounts. An upload bigger than the room left fails in the
// middle of its body with ENOSPC from the kernel: 507, no file (no temp file either), no record;
// an upload that fits is then stored as usual. Mounting needs root (CAP_SYS_ADMIN): without it
// the suite fails in `before`, it is not skipped (the file-open seam test is in units.test.ts).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useClusterHarness } from '../support/cluster-harness.js';
import { makeMp4, sha256, testZoneBody, upload } from './support.js';

const run = promisify(execFile);
const DISK_BYTES = 1024 * 1024;

describe('video upload onto a full disk (a 1 MiB tmpfs) @integration', function () {
  this.timeout(120_000);
  const storageDir = mkdtempSync(join(tmpdir(), 'video-tiny-'));
  const sourceDir = mkdtempSync(join(tmpdir(), 'video-tiny-src-'));
  const h = useClusterHarness({ nodes: [{ VIDEO_ZONE: 'tiny' }] });
  let mounted = false;
  let token = '';

  before(async function () {
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', storageDir]);
    } catch (error) {
      throw new Error(`this test mounts a tmpfs and needs root (CAP_SYS_ADMIN): ${(error as Error).message}`);
    }
    mounted = true;
    const node = h.nodes[0]!;
    const zone = await h.api(node, 'POST', '/api/v1/video/zones', { body: testZoneBody('tiny', storageDir, node.port) });
    expect(zone.status, zone.text).to.equal(201);
    const issued = await h.api(node, 'POST', '/api/v1/video/zones/tiny/agent-tokens');
    expect(issued.status, issued.text).to.equal(201);
    token = issued.body.token;
  });

  after(async () => {
    if (mounted) await run('umount', [storageDir]);
    await rm(storageDir, { recursive: true, force: true });
    await rm(sourceDir, { recursive: true, force: true });
  });

  it('an upload larger than the room left is 507 and leaves no file and no record; one that fits is stored', async () => {
    const disk = await statfs(storageDir);
    expect(disk.blocks * disk.bsize, 'the storage dir is the small tmpfs').to.equal(DISK_BYTES);
    const tooBig = Buffer.alloc(DISK_BYTES + 512 * 1024, 7);
    const full = await upload(h.nodes[0]!.adminUrl, 'tiny', 'p1_sess-big_20250101T100000.mp4', tooBig, {
      token,
      sessionId: 'sess-big',
      recordedAt: '2025-01-01T10:00:00Z',
    });
    const text = await full.text();
    expect(full.status, text).to.equal(507);
    expect(text).to.include('full');
    expect(await readdir(storageDir), 'no file and no temp file').to.deep.equal([]);
    const afterFailure = await statfs(storageDir);
    expect(afterFailure.bfree, 'the space of the partial temp file is free again').to.equal(afterFailure.blocks);
    const found = await h.api(h.nodes[0]!, 'GET', '/api/v1/video/recordings?sessionId=sess-big');
    expect(found.status, found.text).to.equal(200);
    expect(found.body.total).to.equal(0);

    const clip = await makeMp4(sourceDir, 'small.mp4', 1, 3);
    expect(clip.length).to.be.below(DISK_BYTES / 2);
    const fits = await upload(h.nodes[0]!.adminUrl, 'tiny', 'p1_sess-small_20250101T110000.mp4', clip, {
      token,
      sessionId: 'sess-small',
      recordedAt: '2025-01-01T11:00:00Z',
    });
    expect(fits.status, await fits.clone().text()).to.equal(201);
    expect(((await fits.json()) as { sha256: string }).sha256).to.equal(sha256(clip));
    expect(await readdir(storageDir)).to.deep.equal(['p1_sess-small_20250101T110000.mp4']);
  });
});
