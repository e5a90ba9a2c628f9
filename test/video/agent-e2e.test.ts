// End to end: the real workstation agent (`npm run agent -- … --once`, a child process)
// uploads a folder of real, playable MP4 files (Debian ffmpeg) to node B, the zone's storage
// node; each file is found by session id from node A, and its playback link streams the exact
// bytes (whole and by Range) from B. A second run uploads nothing; a run against node A (not
// a storage node) follows the 307 to B.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { useClusterHarness } from '../support/cluster-harness.js';
import { makeStreamableMp4, sha256, TEST_PATTERN } from './support.js';

const ZONE = 'orel';

interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run agent -- …` as a user would run it; the token through the environment. */
function runAgent(args: string[], token: string): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'agent', '--', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, VIDEO_AGENT_TOKEN: token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('video: the workstation agent end to end on two nodes @integration', function () {
  this.timeout(180_000);
  const storageDir = mkdtempSync(join(tmpdir(), 'video-orel-'));
  const agentDir = mkdtempSync(join(tmpdir(), 'video-agent-'));
  const h = useClusterHarness({ nodes: [{}, { VIDEO_ZONE: ZONE }] });
  const A = () => h.nodes[0]!;
  const B = () => h.nodes[1]!;
  let token = '';
  const recordings = new Map<string, { bytes: Buffer; sessionId: string; projectId: string; recordedAt: string }>();

  after(async () => {
    await rm(storageDir, { recursive: true, force: true });
    await rm(agentDir, { recursive: true, force: true });
  });

  before(async function () {
    this.timeout(90_000);
    const zone = await h.api(A(), 'POST', '/api/v1/video/zones', {
      body: {
        name: ZONE,
        publicAddress: '127.0.0.1',
        publicPort: B().port,
        storageDir,
        fileType: 'mp4',
        fileNamePattern: TEST_PATTERN,
        defaultStorageDays: 365,
        uploadSpeedKbps: 4000,
      },
    });
    expect(zone.status, zone.text).to.equal(201);
    const issued = await h.api(A(), 'POST', `/api/v1/video/zones/${ZONE}/agent-tokens`);
    expect(issued.status, issued.text).to.equal(201);
    token = issued.body.token;
    const files = [
      { project: 'p7', session: 'call-e2e-1', at: '20250105T101500', seconds: 3, rate: 25 },
      { project: 'p7', session: 'call-e2e-2', at: '20250105T111500', seconds: 2, rate: 24 },
      { project: 'p9', session: 'call-e2e-3', at: '20250106T080000', seconds: 3, rate: 30 },
    ];
    await Promise.all(
      files.map(async (file) => {
        const name = `${file.project}_${file.session}_${file.at}.mp4`;
        const bytes = await makeStreamableMp4(agentDir, name, file.seconds, file.rate);
        const at = file.at;
        const recordedAt = `${at.slice(0, 4)}-${at.slice(4, 6)}-${at.slice(6, 8)}T${at.slice(9, 11)}:${at.slice(11, 13)}:${at.slice(13, 15)}.000Z`;
        recordings.set(name, { bytes, sessionId: file.session, projectId: file.project, recordedAt });
      }),
    );
  });

  async function searchFromA(sessionId: string): Promise<any> {
    const res = await h.api(A(), 'GET', `/api/v1/video/recordings?sessionId=${sessionId}`);
    expect(res.status, res.text).to.equal(200);
    return res.body;
  }

  it('the agent uploads the folder to node B; node A finds each file and its link streams the exact bytes', async () => {
    const first = await runAgent(['--server', B().adminUrl, '--zone', ZONE, '--dir', agentDir, '--once', '--settle', '300ms'], token);
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    expect(first.stdout.match(/ INFO uploaded file=/g)).to.have.length(recordings.size);
    expect(first.stdout).to.match(/INFO pass done uploaded=3 alreadyStored=0 conflicts=0 rejected=0 failed=0/);
    expect(first.stdout + first.stderr).to.not.contain(token);
    expect((await readdir(storageDir)).filter((f) => f.endsWith('.mp4')).sort()).to.deep.equal([...recordings.keys()].sort());

    for (const [fileName, expected] of recordings) {
      const page = await searchFromA(expected.sessionId);
      expect(page.total).to.equal(1);
      const item = page.items[0];
      expect(item).to.include({
        zone: ZONE,
        fileName,
        sessionId: expected.sessionId,
        projectId: expected.projectId,
        recordedAt: expected.recordedAt,
        sizeBytes: expected.bytes.length,
        sha256: sha256(expected.bytes),
        legalHold: false,
      });
      expect(item.playbackUrl).to.match(
        new RegExp(`^http://127\\.0\\.0\\.1:${B().port}/video/files/${ZONE}/${fileName.replace(/\./g, '\\.')}\\?`),
      );

      const whole = await fetch(item.playbackUrl);
      expect(whole.status).to.equal(200);
      expect(whole.headers.get('content-type')).to.match(/^video\/mp4/);
      expect(sha256(Buffer.from(await whole.arrayBuffer()))).to.equal(sha256(expected.bytes));

      const [start, end] = [1000, Math.min(expected.bytes.length - 1, 70_000)];
      const part = await fetch(item.playbackUrl, { headers: { range: `bytes=${start}-${end}` } });
      expect(part.status).to.equal(206);
      expect(part.headers.get('content-range')).to.equal(`bytes ${start}-${end}/${expected.bytes.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(expected.bytes.subarray(start, end + 1))).to.equal(true);
    }
  });

  it('an expired or tampered link is 403; a traversal attempt is 400', async () => {
    const [fileName, expected] = [...recordings][0]!;
    const url = new URL((await searchFromA(expected.sessionId)).items[0].playbackUrl);
    const tampered = new URL(url);
    tampered.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
    expect((await fetch(tampered)).status).to.equal(403);
    const expired = new URL(url);
    expired.searchParams.set('exp', String(Date.now() - 1000));
    expect((await fetch(expired)).status).to.equal(403);
    const traversal = await fetch(`${url.origin}/video/files/${ZONE}/..%2F..%2F..%2Fetc%2Fpasswd${url.search}`);
    expect(traversal.status).to.equal(400);
    expect(fileName).to.match(/\.mp4$/);
  });

  it('a second run uploads nothing (the journal); a run against node A follows the 307 to node B', async () => {
    const second = await runAgent(['--server', B().adminUrl, '--zone', ZONE, '--dir', agentDir, '--once', '--settle', '300ms'], token);
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(second.stdout).to.not.match(/ INFO uploaded file=/);
    expect(second.stdout).to.match(
      /INFO pass done uploaded=0 alreadyStored=0 conflicts=0 rejected=0 failed=0 waiting=0 unmatched=0 skipped=3/,
    );

    const name = 'p9_call-e2e-4_20250107T090000.mp4';
    const bytes = await makeStreamableMp4(agentDir, name, 2, 25);
    const viaA = await runAgent(['--server', A().adminUrl, '--zone', ZONE, '--dir', agentDir, '--once', '--settle', '300ms'], token);
    expect(viaA.code, viaA.stdout + viaA.stderr).to.equal(0);
    expect(viaA.stdout).to.match(/INFO uploaded file=p9_call-e2e-4_20250107T090000\.mp4 sessionId=call-e2e-4/);
    expect(viaA.stdout).to.match(/uploaded=1 .* skipped=3/);
    expect(sha256(await readFile(join(storageDir, name)))).to.equal(sha256(bytes));
    const page = await searchFromA('call-e2e-4');
    expect(page.items[0]?.sha256).to.equal(sha256(bytes));
  });
});
