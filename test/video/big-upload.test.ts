// A 2 GiB upload to a real storage node: stored byte-exact while the node's resident memory
// stays flat (the body is streamed to disk, never buffered).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { hashFile } from '../../actors/video/file-store.js';
import { useClusterHarness } from '../support/cluster-harness.js';
import { TEST_PATTERN } from './support.js';

const CHUNK = 1 << 20;
const CHUNKS = 2048; // 2 GiB

function chunkOf(i: number): Buffer {
  const chunk = Buffer.alloc(CHUNK, i % 251);
  chunk.writeUInt32BE(i, 0);
  return chunk;
}

function body(): Readable {
  let i = 0;
  return new Readable({
    read() {
      this.push(i < CHUNKS ? chunkOf(i++) : null);
    },
  });
}

async function rssBytes(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN) * 1024;
}

describe('video: a 2 GiB upload keeps memory flat @integration', function () {
  this.timeout(600_000);
  const storageDir = mkdtempSync(join(tmpdir(), 'video-big-'));
  const h = useClusterHarness({ nodes: [{ VIDEO_ZONE: 'kursk' }] });

  after(async () => {
    await rm(storageDir, { recursive: true, force: true });
  });

  it('streams to disk: exact bytes, RSS grows by less than 100 MiB', async () => {
    const node = h.nodes[0]!;
    expect(
      (
        await h.api(node, 'POST', '/api/v1/video/zones', {
          body: {
            name: 'kursk',
            publicAddress: '127.0.0.1',
            publicPort: node.port,
            storageDir,
            fileType: 'mp4',
            fileNamePattern: TEST_PATTERN,
            defaultStorageDays: 30,
            uploadSpeedKbps: 1,
          },
        })
      ).status,
    ).to.equal(201);
    const token = (await h.api(node, 'POST', '/api/v1/video/zones/kursk/agent-tokens')).body.token as string;
    const hash = createHash('sha256');
    for (let i = 0; i < CHUNKS; i++) hash.update(chunkOf(i));
    const sha = hash.digest('hex');

    const baseline = await rssBytes(node.process.pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      void rssBytes(node.process.pid).then(
        (rss) => {
          peak = Math.max(peak, rss);
        },
        () => undefined,
      );
    }, 100);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: node.port,
          method: 'PUT',
          path: '/api/v1/video/zones/kursk/files/p1_big_20250101T000000.mp4',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'video/mp4',
            'content-length': String(CHUNK * CHUNKS),
            'x-session-id': 'big',
            'x-recorded-at': '2025-01-01T00:00:00Z',
            'x-sha256': sha,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      body().pipe(req);
    });
    clearInterval(sampler);
    expect(status).to.equal(201);
    const path = join(storageDir, 'p1_big_20250101T000000.mp4');
    expect((await stat(path)).size).to.equal(CHUNK * CHUNKS);
    expect((await hashFile(path)).sha256).to.equal(sha);
    expect(peak - baseline, `RSS ${Math.round(baseline / 2 ** 20)} → peak ${Math.round(peak / 2 ** 20)} MiB`).to.be.lessThan(100 * 2 ** 20);
  });
});
