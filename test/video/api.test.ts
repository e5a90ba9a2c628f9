// The video index over real HTTP on two real nodes: node B stores zone "kursk" (VIDEO_ZONE),
// node A does not. Uploads, search from A, playback from B, indexing of dropped files,
// missing files, retention with legal hold, audit, and bad input.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { copyFile, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { seededRandom } from '../../actors/routing/select.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playbackQuery } from '../../domain/video/index.js';
import { useClusterHarness } from '../support/cluster-harness.js';
import { TEST_SECRET_KEY_BASE } from '../support/node-env.js';
import { rawRequest } from '../support/raw-http.js';
import { waitFor } from '../support/wait.js';
import { makeMp4, sha256, TEST_PATTERN, testZoneBody, upload } from './support.js';

describe('video API on two nodes @integration', function () {
  this.timeout(120_000);
  const storageDir = mkdtempSync(join(tmpdir(), 'video-kursk-'));
  const sourceDir = mkdtempSync(join(tmpdir(), 'video-src-'));
  const h = useClusterHarness({ nodes: [{}, { VIDEO_ZONE: 'kursk', VIDEO_SCAN_INTERVAL_MS: '300' }] });
  const A = () => h.nodes[0]!;
  const B = () => h.nodes[1]!;
  let token = '';
  let tokenId = '';
  let clip: Buffer;
  let clip2: Buffer;

  after(async () => {
    await rm(storageDir, { recursive: true, force: true });
    await rm(sourceDir, { recursive: true, force: true });
  });

  async function search(query: string): Promise<any> {
    const res = await h.api(A(), 'GET', `/api/v1/video/recordings?${query}`);
    expect(res.status, res.text).to.equal(200);
    return res.body;
  }

  before(async function () {
    this.timeout(60_000);
    [clip, clip2] = await Promise.all([makeMp4(sourceDir, 'one.mp4', 2, 1), makeMp4(sourceDir, 'two.mp4', 3, 2)]);
    const zone = await h.api(A(), 'POST', '/api/v1/video/zones', { body: testZoneBody('kursk', storageDir, B().port) });
    expect(zone.status, zone.text).to.equal(201);
    const issued = await h.api(A(), 'POST', '/api/v1/video/zones/kursk/agent-tokens');
    expect(issued.status, issued.text).to.equal(201);
    token = issued.body.token;
    tokenId = issued.body.id;
  });

  it('zones: validation, duplicates, reading, and the agent config for an agent token', async () => {
    const dup = await h.api(A(), 'POST', '/api/v1/video/zones', {
      body: { ...(await h.api(A(), 'GET', '/api/v1/video/zones/kursk')).body, createdAt: undefined, updatedAt: undefined },
    });
    expect(dup.status).to.be.oneOf([400, 409]);
    const badPattern = await h.api(A(), 'POST', '/api/v1/video/zones', {
      body: {
        name: 'orel',
        publicAddress: 'h',
        publicPort: 1,
        storageDir: '/srv/x',
        fileType: 'mp4',
        fileNamePattern: '(?<id>x)',
        defaultStorageDays: 1,
        uploadSpeedKbps: 1,
      },
    });
    expect(badPattern.status).to.equal(400);
    expect(badPattern.body.message).to.match(/sessionId/);
    const list = await h.api(A(), 'GET', '/api/v1/video/zones');
    expect(list.body.items.map((z: { name: string }) => z.name)).to.deep.equal(['kursk']);
    const config = await fetch(`${A().adminUrl}/api/v1/video/zones/kursk/agent-config`, { headers: { authorization: `Bearer ${token}` } });
    expect(config.status).to.equal(200);
    expect(await config.json()).to.deep.equal({ name: 'kursk', fileType: 'mp4', fileNamePattern: TEST_PATTERN, uploadSpeedKbps: 3000 });
    const tokens = await h.api(A(), 'GET', '/api/v1/video/zones/kursk/agent-tokens');
    expect(tokens.body.items).to.have.length(1);
    expect(JSON.stringify(tokens.body)).not.to.include(token);
  });

  it('upload to the storage node: 201, the same bytes again 200, other bytes 409', async () => {
    const first = await upload(B().adminUrl, 'kursk', 'p1_sess-1_20250101T100000.mp4', clip, {
      token,
      sessionId: 'sess-1',
      projectId: 'p1',
      recordedAt: '2025-01-01T10:00:00Z',
    });
    expect(first.status, await first.clone().text()).to.equal(201);
    const body = (await first.json()) as { sha256: string; sizeBytes: number; sessionId: string; legalHold: boolean };
    expect(body).to.include({ sha256: sha256(clip), sizeBytes: clip.length, sessionId: 'sess-1', legalHold: false });
    const again = await upload(B().adminUrl, 'kursk', 'p1_sess-1_20250101T100000.mp4', clip, {
      token,
      sessionId: 'sess-1',
      projectId: 'p1',
    });
    expect(again.status).to.equal(200);
    const other = await upload(B().adminUrl, 'kursk', 'p1_sess-1_20250101T100000.mp4', clip2, { token, sessionId: 'sess-1' });
    expect(other.status).to.equal(409);
    expect(sha256(await readFile(join(storageDir, 'p1_sess-1_20250101T100000.mp4')))).to.equal(sha256(clip));
  });

  it('an upload to a node that does not store the zone is redirected (307) to the storage node', async () => {
    const res = await upload(A().adminUrl, 'kursk', 'p1_sess-2_20250101T110000.mp4', clip2, { token, sessionId: 'sess-2' });
    expect(res.status).to.equal(307);
    const location = res.headers.get('location');
    expect(location).to.equal(`http://127.0.0.1:${B().port}/api/v1/video/zones/kursk/files/p1_sess-2_20250101T110000.mp4`);
    const followed = await upload(location!.replace(/\/api\/v1\/.*$/, ''), 'kursk', 'p1_sess-2_20250101T110000.mp4', clip2, {
      token,
      sessionId: 'sess-2',
      recordedAt: '2025-01-01T11:00:00+03:00',
    });
    expect(followed.status).to.equal(201);
  });

  it('bad checksum, missing or foreign tokens and bad headers store nothing', async () => {
    const before = await readdir(storageDir);
    const name = 'p1_sess-x_20250101T120000.mp4';
    const mismatch = await upload(B().adminUrl, 'kursk', name, clip, { token, sha: sha256('other') });
    expect(mismatch.status).to.equal(400);
    for (const bad of [null, 'vat_' + 'A'.repeat(43), 'not-a-token']) {
      const res = await upload(B().adminUrl, 'kursk', name, clip, { token: bad });
      expect(res.status).to.equal(401);
    }
    const user = await upload(B().adminUrl, 'kursk', name, clip, { token: await h.adminToken() });
    expect(user.status).to.equal(401);
    for (const headers of [
      { 'x-sha256': 'xyz' },
      { 'x-recorded-at': 'yesterday' },
      { 'x-session-id': '' },
      { 'x-session-id': 'a b' },
    ] as Array<Record<string, string>>) {
      const res = await upload(B().adminUrl, 'kursk', name, clip, { token, headers });
      expect(res.status, JSON.stringify(headers)).to.equal(400);
    }
    const wrongType = await upload(B().adminUrl, 'kursk', 'p1_sess-x_20250101T120000.avi', clip, { token });
    expect(wrongType.status).to.equal(400);
    expect(await readdir(storageDir)).to.deep.equal(before);
    expect((await search('sessionId=sess-x')).total).to.equal(0);
  });

  it('a broken connection mid-upload leaves no file and no record', async () => {
    const before = await readdir(storageDir);
    const { connect } = await import('node:net');
    const socket = connect(B().port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(
      `PUT /api/v1/video/zones/kursk/files/p1_sess-cut_20250101T130000.mp4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: video/mp4\r\nContent-Length: ${clip.length}\r\nx-session-id: sess-cut\r\nx-recorded-at: 2025-01-01T13:00:00Z\r\nx-sha256: ${sha256(clip)}\r\n\r\n`,
    );
    socket.write(clip.subarray(0, Math.floor(clip.length / 2)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.destroy();
    await waitFor('the temp file to be removed', 5000, async () => (await readdir(storageDir)).length === before.length);
    expect(await readdir(storageDir)).to.deep.equal(before);
    expect((await search('sessionId=sess-cut')).total).to.equal(0);
  });

  it('search on node A returns a link that streams the exact bytes from node B, with ranges', async () => {
    const page = await search('sessionId=sess-1');
    expect(page.total).to.equal(1);
    const item = page.items[0];
    expect(item).to.include({
      zone: 'kursk',
      projectId: 'p1',
      sessionId: 'sess-1',
      fileName: 'p1_sess-1_20250101T100000.mp4',
      recordedAt: '2025-01-01T10:00:00.000Z',
      storageDays: 3650,
    });
    expect(item.playbackUrl).to.match(
      new RegExp(`^http://127\\.0\\.0\\.1:${B().port}/video/files/kursk/p1_sess-1_20250101T100000\\.mp4\\?exp=\\d+&u=[^&]+&sig=`),
    );

    const whole = await fetch(item.playbackUrl);
    expect(whole.status).to.equal(200);
    expect(whole.headers.get('content-type')).to.equal('video/mp4');
    expect(whole.headers.get('accept-ranges')).to.equal('bytes');
    expect(whole.headers.get('etag')).to.match(/^".+"$/);
    expect(whole.headers.get('last-modified')).to.be.a('string');
    expect(whole.headers.get('cross-origin-resource-policy')).to.equal('cross-origin');
    expect(whole.headers.get('cross-origin-embedder-policy')).to.equal(null);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).to.equal(sha256(clip));

    const part = await fetch(item.playbackUrl, { headers: { range: 'bytes=100-4195' } });
    expect(part.status).to.equal(206);
    expect(part.headers.get('content-range')).to.equal(`bytes 100-4195/${clip.length}`);
    expect(sha256(Buffer.from(await part.arrayBuffer()))).to.equal(sha256(clip.subarray(100, 4196)));
    const tail = await fetch(item.playbackUrl, { headers: { range: 'bytes=-500' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(clip.subarray(clip.length - 500))).to.equal(true);
    const several = await fetch(item.playbackUrl, { headers: { range: 'bytes=0-1,5-9' } });
    expect(several.status).to.equal(200);
    expect((await several.arrayBuffer()).byteLength).to.equal(clip.length);
    const beyond = await fetch(item.playbackUrl, { headers: { range: `bytes=${clip.length}-` } });
    expect(beyond.status).to.equal(416);
    expect(beyond.headers.get('content-range')).to.equal(`bytes */${clip.length}`);
    const head = await fetch(item.playbackUrl, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-length')).to.equal(String(clip.length));

    const byProject = await search('projectId=p1&zone=kursk&from=2025-01-01T00:00:00Z&to=2025-01-01T10:00:01Z');
    expect(byProject.items.map((i: { sessionId: string }) => i.sessionId)).to.deep.equal(['sess-1']);
  });

  it('tampered and expired links are 403; paths leaving storageDir are 400', async () => {
    const page = await search('sessionId=sess-1');
    const url = new URL(page.items[0].playbackUrl);
    const tampered = new URL(url);
    tampered.searchParams.set(
      'sig',
      url.searchParams.get('sig')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    );
    expect((await fetch(tampered)).status).to.equal(403);
    const otherFile = `${url.origin}/video/files/kursk/p1_sess-2_20250101T110000.mp4${url.search}`;
    expect((await fetch(otherFile)).status).to.equal(403);
    const expired = playbackQuery(TEST_SECRET_KEY_BASE, 'kursk', 'p1_sess-1_20250101T100000.mp4', '', -10);
    expect((await fetch(`${url.origin}${url.pathname}?${expired}`)).status).to.equal(403);
    const fresh = playbackQuery(TEST_SECRET_KEY_BASE, 'kursk', 'p1_sess-1_20250101T100000.mp4', '', 60);
    expect((await fetch(`${url.origin}${url.pathname}?${fresh}`)).status).to.equal(200);
    for (const path of [
      '/video/files/kursk/../../../etc/passwd',
      '/video/files/kursk/..%2f..%2fetc%2fpasswd',
      '/video/files/kursk/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/video/files/kursk/%2e%2e',
      '/video/files/kursk//etc/passwd',
      '/video/files/kursk/%2Fetc%2Fpasswd',
      '/video/files/kursk/a.mp4%00',
      '/video/files/%2e%2e/p1_sess-1_20250101T100000.mp4',
    ]) {
      const res = await rawRequest(B().port, `${path}?${fresh}`);
      expect(res.status, path).to.equal(400);
    }
  });

  it('files dropped into storageDir (as rsync would) are indexed from their names', async () => {
    await copyFile(join(sourceDir, 'two.mp4'), join(storageDir, 'p7_sess-rsync_20250102T080000.mp4'));
    await writeFile(join(storageDir, 'notes.txt'), 'not a recording');
    const page = await waitFor('the dropped file to be indexed', 10_000, async () => {
      const found = await search('sessionId=sess-rsync');
      return found.total === 1 ? found : undefined;
    });
    expect(page.items[0]).to.include({
      projectId: 'p7',
      recordedAt: '2025-01-02T08:00:00.000Z',
      sha256: sha256(clip2),
      sizeBytes: clip2.length,
      storageDays: 3650,
    });
    const played = await fetch(page.items[0].playbackUrl);
    expect(sha256(Buffer.from(await played.arrayBuffer()))).to.equal(sha256(clip2));
  });

  it('a file deleted by hand becomes missing (no link); put back, it is found again', async () => {
    await copyFile(join(sourceDir, 'one.mp4'), join(storageDir, 'p7_sess-gone_20250102T090000.mp4'));
    await waitFor('indexed', 10_000, async () => (await search('sessionId=sess-gone')).total === 1);
    await unlink(join(storageDir, 'p7_sess-gone_20250102T090000.mp4'));
    const gone = await waitFor('marked missing', 10_000, async () => {
      const item = (await search('sessionId=sess-gone')).items[0];
      return item?.missing === true ? item : undefined;
    });
    expect(gone.playbackUrl).to.equal(null);
    await copyFile(join(sourceDir, 'one.mp4'), join(storageDir, 'p7_sess-gone_20250102T090000.mp4'));
    await waitFor('found again', 10_000, async () => {
      const item = (await search('sessionId=sess-gone')).items[0];
      return item !== undefined && item.missing === undefined && typeof item.playbackUrl === 'string';
    });
  });

  it('retention deletes files past their period, keeps held ones, and the preview says so first', async () => {
    await copyFile(join(sourceDir, 'one.mp4'), join(storageDir, 'p9_sess-old_20000101T000000.mp4'));
    await copyFile(join(sourceDir, 'two.mp4'), join(storageDir, 'p9_sess-held_20000101T000000.mp4'));
    await waitFor('old files indexed', 10_000, async () => (await search('projectId=p9')).total === 2);
    const held = (await search('sessionId=sess-held')).items[0];
    const hold = await h.api(A(), 'PATCH', `/api/v1/video/recordings/${held.id}`, { body: { legalHold: true } });
    expect(hold.status, hold.text).to.equal(200);
    expect(hold.body.legalHold).to.equal(true);

    const preview = await h.api(A(), 'GET', '/api/v1/video/zones/kursk/retention/preview');
    expect(preview.status).to.equal(200);
    expect(preview.body.items.map((i: { sessionId: string }) => i.sessionId)).to.deep.equal(['sess-old']);

    const redirected = await fetch(`${A().adminUrl}/api/v1/video/zones/kursk/retention/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await h.adminToken()}` },
      redirect: 'manual',
    });
    expect(redirected.status).to.equal(307);
    const run = await h.api(B(), 'POST', '/api/v1/video/zones/kursk/retention/run');
    expect(run.status, run.text).to.equal(200);
    expect(run.body.deleted.map((i: { sessionId: string }) => i.sessionId)).to.deep.equal(['sess-old']);
    const files = await readdir(storageDir);
    expect(files).not.to.include('p9_sess-old_20000101T000000.mp4');
    expect(files).to.include('p9_sess-held_20000101T000000.mp4');
    const old = (await search('sessionId=sess-old')).items[0];
    expect(old.deletedAt).to.be.a('string');
    expect(old.playbackUrl).to.equal(null);
    const again = await h.api(B(), 'POST', '/api/v1/video/zones/kursk/retention/run');
    expect(again.body.deleted).to.deep.equal([]);
    expect((await search('sessionId=sess-held')).items[0].deletedAt).to.equal(undefined);
  });

  it('every search and playback is in the audit log (who, when, what, from where)', async () => {
    const res = await h.api(A(), 'GET', '/api/v1/audit?limit=1000');
    expect(res.status).to.equal(200);
    const searches = res.body.items.filter((e: { action: string }) => e.action === 'video.search');
    const plays = res.body.items.filter((e: { action: string }) => e.action === 'video.playback');
    expect(searches.length).to.be.greaterThan(5);
    expect(
      searches.some(
        (e: any) => e.details.sessionId === 'sess-1' && e.ip === '127.0.0.1' && typeof e.actor === 'string' && e.actor !== 'anonymous',
      ),
    ).to.equal(true);
    expect(
      plays.some((e: any) => e.details.fileName === 'p1_sess-1_20250101T100000.mp4' && e.details.zone === 'kursk' && e.ip === '127.0.0.1'),
    ).to.equal(true);
    const manager = await h.api(A(), 'GET', '/api/v1/audit', { token: null });
    expect(manager.status).to.equal(401);
  });

  it('fuzzed headers, file names, session ids and query strings never give a 500', async () => {
    const random = seededRandom(8);
    const pieces = [
      'a',
      'Z',
      '0',
      '.',
      '..',
      '/',
      '%',
      '%2e',
      '%2f',
      '%00',
      '%zz',
      '?',
      '&',
      '=',
      '#',
      ' ',
      '\\',
      '"',
      "'",
      'é',
      '😀',
      '-',
      '_',
      ':',
      '\t',
      '*',
      '[',
      ']',
      'mp4',
      '.mp4',
      'sess',
      'T',
      '2025',
      '+',
      ';',
      '<',
      '>',
    ];
    const text = (max: number): string => {
      let out = '';
      for (let i = Math.floor(random() * max); i > 0; i--) out += pieces[Math.floor(random() * pieces.length)]!;
      return out;
    };
    const headerText = (max: number): string => text(max).replace(/[^\x20-\x7e]/g, 'x');
    const seen = new Map<number, number>();
    const count = (status: number): void => void seen.set(status, (seen.get(status) ?? 0) + 1);
    const before = await readdir(storageDir);
    const adminToken = await h.adminToken();
    for (let i = 0; i < 150; i++) {
      const name = random() < 0.3 ? `p1_s${i}_20250101T000000.mp4` : text(8);
      const res = await rawRequest(B().port, `/api/v1/video/zones/${random() < 0.8 ? 'kursk' : text(4)}/files/${name}`, {
        method: 'PUT',
        headers: {
          Authorization: random() < 0.2 ? `Bearer ${text(6)}` : `Bearer ${token}`,
          'Content-Type': random() < 0.5 ? 'video/mp4' : headerText(5),
          'x-session-id': headerText(10),
          'x-recorded-at': random() < 0.5 ? '2025-01-01T00:00:00Z' : headerText(8),
          'x-sha256': random() < 0.3 ? sha256('fuzz') : headerText(10),
          ...(random() < 0.5 ? { 'x-project-id': headerText(6) } : {}),
        },
        body: 'fuzz',
      });
      count(res.status);
      const search = await rawRequest(A().port, `/api/v1/video/recordings?${text(10)}=${text(10)}&sessionId=${text(6)}&from=${text(4)}`, {
        headers: { Authorization: `Bearer ${adminToken}` },
      });
      count(search.status);
      const play = await rawRequest(B().port, `/video/files/${text(4)}/${text(8)}?${text(8)}`);
      count(play.status);
    }
    expect(
      [...seen.keys()].filter((status) => status >= 500),
      JSON.stringify([...seen]),
    ).to.deep.equal([]);
    expect(B().hasExited() || A().hasExited()).to.equal(false);
    const added = (await readdir(storageDir)).filter((f) => !before.includes(f));
    // Only well-formed uploads whose checksum matched may have been stored.
    for (const file of added) expect(sha256(await readFile(join(storageDir, file))), file).to.equal(sha256('fuzz'));
  });

  it('upload and retention on a zone without a live storage node: 503 naming the cause', async () => {
    const zone = await h.api(A(), 'POST', '/api/v1/video/zones', {
      body: {
        name: 'orel',
        publicAddress: '127.0.0.1',
        publicPort: 1,
        storageDir: '/nonexistent/orel',
        fileType: 'mp4',
        fileNamePattern: TEST_PATTERN,
        defaultStorageDays: 1,
        uploadSpeedKbps: 1,
      },
    });
    expect(zone.status).to.equal(201);
    const orelToken = (await h.api(A(), 'POST', '/api/v1/video/zones/orel/agent-tokens')).body.token as string;
    const res = await upload(A().adminUrl, 'orel', 'p1_s_20250101T000000.mp4', clip, { token: orelToken });
    expect(res.status).to.equal(503);
    expect(((await res.json()) as { message: string }).message).to.match(/storage node.*orel/i);
    const foreign = await upload(B().adminUrl, 'kursk', 'p1_s_20250101T000000.mp4', clip, { token: orelToken });
    expect(foreign.status).to.equal(401);
    expect((await h.api(A(), 'DELETE', '/api/v1/video/zones/orel')).status).to.equal(204);
  });

  it('the OpenAPI document describes the video routes', async () => {
    const res = await h.api(A(), 'GET', '/api/v1/openapi.json');
    expect(res.status).to.equal(200);
    const paths = Object.keys(res.body.paths);
    for (const path of [
      '/api/v1/video/zones',
      '/api/v1/video/zones/{name}',
      '/api/v1/video/zones/{name}/agent-tokens',
      '/api/v1/video/zones/{name}/agent-tokens/{id}',
      '/api/v1/video/zones/{name}/agent-config',
      '/api/v1/video/zones/{name}/files/{fileName}',
      '/api/v1/video/zones/{name}/retention/preview',
      '/api/v1/video/zones/{name}/retention/run',
      '/api/v1/video/recordings',
      '/api/v1/video/recordings/{id}',
      '/api/v1/audit',
    ]) {
      expect(paths, path).to.include(path);
    }
  });

  it('a zone with recordings cannot be deleted; a revoked token is refused', async () => {
    const del = await h.api(A(), 'DELETE', '/api/v1/video/zones/kursk');
    expect(del.status).to.equal(409);
    const revoke = await h.api(A(), 'DELETE', `/api/v1/video/zones/kursk/agent-tokens/${tokenId}`);
    expect(revoke.status).to.equal(204);
    const res = await upload(B().adminUrl, 'kursk', 'p1_sess-9_20250101T100000.mp4', clip, { token });
    expect(res.status).to.equal(401);
    const config = await fetch(`${A().adminUrl}/api/v1/video/zones/kursk/agent-config`, { headers: { authorization: `Bearer ${token}` } });
    expect(config.status).to.equal(401);
    const fresh = await h.api(A(), 'POST', '/api/v1/video/zones/kursk/agent-tokens');
    token = fresh.body.token;
  });
});
