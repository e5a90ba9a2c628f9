// The workstation agent (bin/agent) against a small real HTTP server with the upload contract:
// what it uploads and with which headers, the rate limit, growing files, retries with backoff,
// 409/200 answers, one 307, the journal across restarts, and the command line itself.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'chai';
import { JOURNAL_FILE } from '../../bin/agent/journal.js';
import type { AgentLog } from '../../bin/agent/log.js';
import { parseAgentOptions, UsageError, type AgentOptions } from '../../bin/agent/options.js';
import { runPass } from '../../bin/agent/pass.js';
import { runAgent } from '../../bin/agent/run.js';
import { backoffMs } from '../../bin/agent/retry.js';
import { Throttle } from '../../bin/agent/throttle.js';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { waitFor } from '../support/wait.js';
import { startFakeVideoServer, type FakeVideoServer } from './support/fake-video-server.js';

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface CapturedLog extends AgentLog {
  lines: string[];
}

function capture(): CapturedLog {
  const lines: string[] = [];
  const add = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: add('INFO'), warn: add('WARN'), error: add('ERROR') };
}

describe('workstation agent (bin/agent)', function () {
  this.timeout(30_000);
  let server: FakeVideoServer;
  let dir: string;

  beforeEach(async () => {
    server = await startFakeVideoServer();
    dir = await mkdtemp(join(tmpdir(), 'beamstack-agent-'));
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const options = (overrides: Partial<AgentOptions> = {}): AgentOptions => ({
    server: server.url,
    zone: server.zone,
    token: server.token,
    dir,
    intervalMs: 3_600_000,
    settleMs: 50,
    once: true,
    attempts: 3,
    backoffMs: 10,
    maxBackoffMs: 100,
    timeoutMs: 5000,
    ...overrides,
  });

  async function recording(name: string, size = 4096): Promise<Buffer> {
    const bytes = randomBytes(size);
    await writeFile(join(dir, name), bytes);
    return bytes;
  }

  it('uploads finished files of the zone type with ids from the name, and journals them', async () => {
    const a = await recording('p1_S-100_20240131T101500.mp4');
    const b = await recording('p2_S-200_20240201T080000.MP4', 70_000);
    await recording('p1_S-300_20240131T101500.avi');
    await recording('.p1_S-400_20240131T101500.mp4');
    const log = capture();
    const report = await runPass(options(), log);
    expect(report.uploaded).to.deep.equal(['p1_S-100_20240131T101500.mp4', 'p2_S-200_20240201T080000.MP4']);
    expect([...server.files.keys()]).to.have.members(report.uploaded);
    const first = server.files.get('p1_S-100_20240131T101500.mp4')!;
    expect(first.bytes.equals(a)).to.equal(true);
    expect(first.headers).to.deep.equal({
      'x-session-id': 'S-100',
      'x-project-id': 'p1',
      'x-recorded-at': '2024-01-31T10:15:00.000Z',
      'x-sha256': sha(a),
      'content-length': '4096',
    });
    expect(server.files.get('p2_S-200_20240201T080000.MP4')!.bytes.equals(b)).to.equal(true);
    const journal = JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8'));
    expect(journal.zone).to.equal(server.zone);
    expect(journal.files['p1_S-100_20240131T101500.mp4']).to.include({ status: 'uploaded', size: 4096, sha256: sha(a) });
    expect(log.lines.filter((l) => l.startsWith('INFO uploaded'))).to.have.length(2);
    // The token is only ever in the Authorization header: never in a URL, never in the log.
    expect(server.urls.join(' ')).to.not.contain(server.token);
    expect(log.lines.join('\n')).to.not.contain(server.token);
  });

  it('falls back to the file mtime for recordedAt; a name that does not fit the pattern is skipped with a warning', async () => {
    server.config = { ...server.config, fileNamePattern: '(?<sessionId>[A-Za-z0-9-]+)\\.mp4' };
    await recording('S-500.mp4');
    const mtime = new Date('2024-03-01T12:00:00.000Z');
    await utimes(join(dir, 'S-500.mp4'), mtime, mtime);
    await recording('not fitting.mp4');
    const log = capture();
    const report = await runPass(options(), log);
    expect(report.uploaded).to.deep.equal(['S-500.mp4']);
    expect(report.unmatched).to.deep.equal(['not fitting.mp4']);
    expect(server.files.get('S-500.mp4')!.headers['x-recorded-at']).to.equal(mtime.toISOString());
    expect(log.lines.some((l) => l.startsWith('WARN file name does not fit'))).to.equal(true);
  });

  it('a restart (a new pass over the same folder) uploads nothing again', async () => {
    await recording('p1_S-1_20240131T101500.mp4');
    await recording('p1_S-2_20240131T101500.mp4');
    expect((await runPass(options(), capture())).uploaded).to.have.length(2);
    const again = await runPass(options(), capture());
    expect(again.uploaded).to.deep.equal([]);
    expect(again.skipped).to.equal(2);
    expect(server.puts).to.have.length(2);
    // A journal lost after the upload: the server answers "same bytes" (200), nothing is sent twice.
    await rm(join(dir, JOURNAL_FILE));
    const afterLoss = await runPass(options(), capture());
    expect(afterLoss.stored).to.have.length(2);
    expect(afterLoss.uploaded).to.deep.equal([]);
    expect(server.files.size).to.equal(2);
  });

  it('refuses a corrupt journal or one of another zone instead of sending everything again', async () => {
    await recording('p1_S-1_20240131T101500.mp4');
    await writeFile(join(dir, JOURNAL_FILE), '{"version":1,"zone":"kur');
    let error: unknown;
    await runPass(options(), capture()).catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/is not valid JSON; move it away/);
    await writeFile(join(dir, JOURNAL_FILE), JSON.stringify({ version: 1, zone: 'orel', files: {} }));
    error = undefined;
    await runPass(options(), capture()).catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/belongs to zone "orel", not "kursk"/);
    expect(server.puts).to.deep.equal([]);
  });

  it('leaves a file that is still growing for the next pass', async () => {
    const name = 'p1_S-9_20240131T101500.mp4';
    await writeFile(join(dir, name), randomBytes(1000));
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await appendFile(join(dir, name), randomBytes(500));
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    const during = await runPass(options({ settleMs: 300 }), capture());
    writing = false;
    await writer;
    expect(during.waiting).to.deep.equal([name]);
    expect(server.puts).to.deep.equal([]);
    const after = await runPass(options({ settleMs: 300 }), capture());
    expect(after.uploaded).to.deep.equal([name]);
    expect(server.files.get(name)!.bytes.equals(await readFile(join(dir, name)))).to.equal(true);
  });

  it('keeps to the zone uploadSpeedKbps (KiB/s)', async () => {
    server.config = { ...server.config, uploadSpeedKbps: 64 };
    await recording('p1_S-7_20240131T101500.mp4', 160 * 1024);
    const started = performance.now();
    await runPass(options(), capture());
    const seconds = (performance.now() - started) / 1000;
    // 160 KiB at 64 KiB/s is 2.5 s; the server saw the body arrive over about as long.
    expect(seconds).to.be.within(2.2, 6);
    expect(server.files.get('p1_S-7_20240131T101500.mp4')!.transferMs / 1000).to.be.within(2.0, 6);
  });

  it('retries a failing server with backoff, and leaves the file for the next pass when every try failed', async () => {
    await recording('p1_S-3_20240131T101500.mp4');
    server.failNext(2, 503);
    const log = capture();
    const report = await runPass(options({ attempts: 3 }), log);
    expect(report.uploaded).to.have.length(1);
    expect(server.puts).to.have.length(3);
    expect(log.lines.filter((l) => l.startsWith('WARN upload of'))).to.have.length(2);

    await recording('p1_S-4_20240131T101500.mp4');
    server.failNext(5, 507);
    const failed = await runPass(options({ attempts: 2 }), capture());
    expect(failed.failed).to.deep.equal(['p1_S-4_20240131T101500.mp4']);
    const journal = JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8'));
    expect(journal.files).to.not.have.property('p1_S-4_20240131T101500.mp4');
    server.failNext(0);
    expect((await runPass(options(), capture())).uploaded).to.deep.equal(['p1_S-4_20240131T101500.mp4']);
  });

  it('doubles the backoff per retry, with jitter, up to the cap', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, { baseMs: 100, maxMs: 1000 }, mid))).to.deep.equal([100, 200, 400, 800, 1000]);
    expect(backoffMs(1, { baseMs: 100, maxMs: 1000 }, () => 0)).to.equal(75);
    expect(backoffMs(1, { baseMs: 100, maxMs: 1000 }, () => 1)).to.equal(125);
  });

  it('records 409 (other bytes under the name) as a conflict and does not send it again; 200 counts as done', async () => {
    const name = 'p1_S-5_20240131T101500.mp4';
    const same = 'p1_S-6_20240131T101500.mp4';
    const sameBytes = await recording(same, 2048);
    server.files.set(name, { bytes: Buffer.from('other'), sha256: sha(Buffer.from('other')), headers: {}, transferMs: 0 });
    server.files.set(same, { bytes: sameBytes, sha256: sha(sameBytes), headers: {}, transferMs: 0 });
    // Big enough that the early 409 comes long before the body could have been sent.
    await recording(name, 4 * 1024 * 1024);
    server.config = { ...server.config, uploadSpeedKbps: 256 };
    const log = capture();
    const started = performance.now();
    const report = await runPass(options(), log);
    expect(performance.now() - started).to.be.below(5000);
    expect(report.conflicts).to.deep.equal([name]);
    expect(report.stored).to.deep.equal([same]);
    expect(log.lines.some((l) => l.startsWith('ERROR the server holds other bytes'))).to.equal(true);
    const puts = server.puts.length;
    const again = await runPass(options(), capture());
    expect(again.conflicts).to.deep.equal([]);
    expect(server.puts).to.have.length(puts);
  });

  it('follows one 307 to the storage node', async () => {
    const storage = await startFakeVideoServer({ zone: server.zone, token: server.token });
    try {
      server.redirectTo(storage.url);
      const bytes = await recording('p1_S-8_20240131T101500.mp4');
      const report = await runPass(options(), capture());
      expect(report.uploaded).to.have.length(1);
      expect(server.files.size).to.equal(0);
      expect(storage.files.get('p1_S-8_20240131T101500.mp4')!.bytes.equals(bytes)).to.equal(true);
      // A storage node that redirects again is a failure, not a loop.
      storage.redirectTo(server.url);
      await recording('p1_S-9_20240131T101500.mp4');
      const loop = await runPass(options({ attempts: 1 }), capture());
      expect(loop.failed).to.deep.equal(['p1_S-9_20240131T101500.mp4']);
    } finally {
      await storage.close();
    }
  });

  it('without --once makes a pass every interval until stopped', async () => {
    const log = capture();
    const controller = new AbortController();
    const running = runAgent(options({ once: false, intervalMs: 1000 }), log, controller.signal);
    await waitFor('the first pass', 5000, () => log.lines.some((l) => l.startsWith('INFO pass done')));
    expect(server.puts).to.deep.equal([]);
    await recording('p1_S-21_20240131T101500.mp4');
    await waitFor('the next pass to upload the new file', 5000, () => server.files.has('p1_S-21_20240131T101500.mp4'));
    controller.abort();
    expect(await running).to.equal(0);
    expect(log.lines.at(-1)).to.match(/^INFO agent stopped/);
  });

  it('the throttle delivers every byte in order', async () => {
    const input = randomBytes(50_000);
    const out: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => out.push(chunk));
    const source = new PassThrough();
    source.end(input);
    await pipeline(source, new Throttle(1024 * 1024), sink);
    expect(Buffer.concat(out).equals(input)).to.equal(true);
  });

  describe('the command line (npm run agent)', () => {
    function agent(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bin/agent.ts'), ...args], {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? '', ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    }

    it('runs one pass with --once from env settings, exit 0, and logs each upload without the token', async () => {
      await recording('p1_S-11_20240131T101500.mp4');
      const run = await agent(['--once', '--settle', '100ms'], {
        BEAMSTACK_SERVER: server.url,
        VIDEO_AGENT_ZONE: server.zone,
        VIDEO_AGENT_TOKEN: server.token,
        VIDEO_AGENT_DIR: dir,
      });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/INFO uploaded file=p1_S-11_20240131T101500\.mp4 sessionId=S-11/);
      expect(run.stdout).to.match(/INFO pass done uploaded=1/);
      expect(run.stdout + run.stderr).to.not.contain(server.token);
    });

    it('exits 1 with a clear message when the server refuses the token', async () => {
      const run = await agent(['--once', '--server', server.url, '--zone', server.zone, '--token', 'wrong-token', '--dir', dir]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/ERROR the server refused the agent token for zone "kursk" \(401\)/);
    });

    it('exits 2 naming the flag on bad or missing flags', async () => {
      for (const [args, message] of [
        [['--zone', 'kursk'], /--server \(or BEAMSTACK_SERVER\) is required/],
        [['--server', 'ftp://x', '--zone', 'k', '--token', 't', '--dir', dir], /--server must be an http/],
        [['--server', server.url, '--zone', 'k', '--token', 't', '--dir', join(dir, 'missing')], /is not a folder/],
      ] as Array<[string[], RegExp]>) {
        const run = await agent(args);
        expect(run.code, args.join(' ')).to.equal(2);
        expect(run.stderr).to.match(message);
      }
    });
  });

  it('parses flags over env and the default interval of one hour', () => {
    const parsed = parseAgentOptions(['--zone', 'z1', '--once'], {
      BEAMSTACK_SERVER: 'http://n1:4000/',
      VIDEO_AGENT_ZONE: 'z0',
      VIDEO_AGENT_TOKEN: 't',
      VIDEO_AGENT_DIR: '/d',
    });
    expect(parsed).to.include({ server: 'http://n1:4000', zone: 'z1', token: 't', dir: '/d', intervalMs: 3_600_000, once: true });
    const env = { BEAMSTACK_SERVER: 'http://n', VIDEO_AGENT_ZONE: 'z', VIDEO_AGENT_TOKEN: 't', VIDEO_AGENT_DIR: '/d' };
    expect(() => parseAgentOptions(['--zone', 'a b'], env)).to.throw(UsageError, /--zone must be a zone name/);
    expect(() => parseAgentOptions(['--interval', 'soon'], env)).to.throw(UsageError, /--interval must be a duration/);
    expect(() => parseAgentOptions(['--attempts', '0'], env)).to.throw(UsageError, /--attempts/);
    expect(() => parseAgentOptions(['--bogus'], env)).to.throw(UsageError, /Unknown option '--bogus'/);
    expect(() => parseAgentOptions(['--server', 'http://user:pw@n'], env)).to.throw(UsageError, /without credentials/);
    expect(() =>
      parseAgentOptions(['--settle', '5x'], {
        BEAMSTACK_SERVER: 'http://n',
        VIDEO_AGENT_ZONE: 'z',
        VIDEO_AGENT_TOKEN: 't',
        VIDEO_AGENT_DIR: '/d',
      }),
    ).to.throw(UsageError, /--settle/);
  });
});
