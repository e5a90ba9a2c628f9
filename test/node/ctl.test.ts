// `npm run ctl` in-process (runCtl) against a fake admin API: usage and exit codes, login,
// nodes, rejoin (202 → job, --wait, 409, 403, 404), and unreachable servers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Output } from '../../bin/ctl/cli.js';
import { runCtl } from '../../bin/ctl/run.js';
import { freePort } from '../support/ports.js';

interface Captured extends Output {
  stdout: string[];
  stderr: string[];
}

function capture(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const TOKEN = 'good-token';
const NODES = [
  { name: 'a@h', host: '127.0.0.1', port: 4000, apiPort: 4001, startedAt: 's1', lastHeartbeatAt: 'h1', singletons: ['health-checker'] },
  { name: 'b@h', host: '127.0.0.1', port: 4002, apiPort: 4003, startedAt: 's2', lastHeartbeatAt: 'h2', singletons: [] },
];

/** The parts of the admin API ctl uses. `rejoinAnswer` picks what POST /cluster/rejoin does. */
class FakeAdmin {
  server: Server;
  base = '';
  rejoinAnswer: 202 | 403 | 404 | 409 = 202;
  jobFinalState: 'succeeded' | 'failed' = 'succeeded';
  logins = 0;
  private polls = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const authed = req.headers.authorization === `Bearer ${TOKEN}`;
    if (req.method === 'POST' && req.url === '/api/v1/sessions') {
      this.logins += 1;
      const { email, password } = JSON.parse(raw) as { email: string; password: string };
      if (email === 'admin@example.test' && password === 'right-password') return send(200, { token: TOKEN, user: { email } });
      return send(401, { error: 'unauthorized', message: 'Wrong email or password.' });
    }
    if (!authed) return send(401, { error: 'unauthorized', message: 'Missing or invalid token.' });
    if (req.method === 'GET' && req.url === '/api/v1/cluster/nodes') return send(200, { nodes: NODES });
    if (req.method === 'POST' && req.url === '/api/v1/cluster/rejoin') {
      if (this.rejoinAnswer === 202) {
        this.polls = 0;
        return send(202, { jobId: 'job-1' });
      }
      if (this.rejoinAnswer === 404) return send(404, { error: 'not_found', message: 'Route not found.' });
      if (this.rejoinAnswer === 403) return send(403, { error: 'forbidden', message: 'Needs the ADMIN role.' });
      return send(409, { error: 'conflict', message: 'A rejoin is already running (job job-0).' });
    }
    if (req.method === 'GET' && req.url === '/api/v1/cluster/jobs/job-1') {
      this.polls += 1;
      const state = this.polls < 2 ? 'running' : this.jobFinalState;
      return send(200, {
        state,
        steps: [],
        counts: { regions: 3 },
        startedAt: 't0',
        ...(state === 'failed' ? { error: 'MongoDB unreachable' } : {}),
      });
    }
    return send(404, { error: 'not_found', message: 'Route not found.' });
  }
}

const CREDENTIALS = { ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: 'right-password' };

describe('ctl (npm run ctl)', function () {
  this.timeout(20_000);
  const admin = new FakeAdmin();
  before(() => admin.start());
  after(() => new Promise<void>((resolve) => admin.server.close(() => resolve())));

  describe('usage', () => {
    const usageCases: Array<[string[], RegExp]> = [
      [[], /no command given/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['nodes', '--bogus'], /Unknown option '--bogus'/],
      [['nodes', '--wait'], /--wait does not apply to "nodes"/],
      [['migrate', 'extra'], /unexpected argument "extra"/],
      [['migrate', '--timeout', 'soon'], /--timeout must be a whole number of seconds/],
      [['nodes', '--node', 'ftp://x'], /--node must be an http:\/\/ or https:\/\/ URL/],
      [['nodes', '--node', 'not a url'], /--node must be a URL/],
      [['rejoin', '--node', 'http://127.0.0.1:1'], /rejoin needs an ADMIN: set ADMIN_EMAIL and ADMIN_PASSWORD, or pass --token/],
      [['nodes', '--node', 'http://127.0.0.1:1'], /--node needs credentials/],
      [['nodes', '--direct', '--token', 't'], /--direct reads the cluster store: --node and --token do not apply/],
    ];
    for (const [argv, message] of usageCases) {
      it(`exits 2 with the usage for: ctl ${argv.join(' ')}`, async () => {
        const io = capture();
        expect(await runCtl(argv, {}, io)).to.equal(2);
        const text = io.stderr.join('\n');
        expect(text).to.match(message);
        expect(text).to.include('usage: npm run ctl -- <command>');
        expect(io.stdout).to.deep.equal([]);
      });
    }

    it('prints the help on stdout with exit 0', async () => {
      for (const argv of [['help'], ['--help'], ['nodes', '-h']]) {
        const io = capture();
        expect(await runCtl(argv, {}, io)).to.equal(0);
        expect(io.stdout.join('\n')).to.match(/^usage: npm run ctl/);
      }
    });
  });

  describe('migrate', () => {
    it('names a bad MONGODB_URL with exit 2 and needs no SECRET_KEY_BASE', async () => {
      const io = capture();
      expect(await runCtl(['migrate'], { MONGODB_URL: 'postgres://x' }, io)).to.equal(2);
      expect(io.stderr).to.deep.equal(['configuration error: MONGODB_URL: must be a mongodb:// or mongodb+srv:// URL']);
    });

    it('gives up on an unreachable MongoDB after --timeout with one clear line (exit 1)', async () => {
      const port = await freePort();
      const io = capture();
      expect(await runCtl(['migrate', '--timeout', '1'], { MONGODB_URL: `mongodb://u:pw@127.0.0.1:${port}/x` }, io)).to.equal(1);
      const text = io.stderr.join('\n');
      expect(text).to.include(
        `ctl: MongoDB at mongodb://***@127.0.0.1:${port}/x (MONGODB_URL) did not answer within 1s; nothing was migrated`,
      );
      expect(text).to.not.include('pw@');
      expect(text).to.not.match(/\bat .+:\d+:\d+\)?$/m);
    });
  });

  describe('nodes through the admin API', () => {
    it('logs in with ADMIN_EMAIL/ADMIN_PASSWORD and prints a table', async () => {
      const io = capture();
      expect(await runCtl(['nodes', '--node', admin.base], CREDENTIALS, io)).to.equal(0);
      expect(io.stdout[0]).to.match(/^NAME\s+HOST\s+PORT\s+API_PORT\s+STARTED\s+LAST HEARTBEAT\s+SINGLETONS$/);
      expect(io.stdout[1]).to.match(/^a@h\s+127\.0\.0\.1\s+4000\s+4001\s+s1\s+h1\s+health-checker$/);
      expect(io.stdout[2]).to.match(/^b@h\s+.*\s+-$/);
      expect(io.stdout[3]).to.equal('2 live nodes');
    });

    it('uses --token without logging in, and prints --json', async () => {
      const logins = admin.logins;
      const io = capture();
      expect(await runCtl(['nodes', '--node', admin.base, '--token', TOKEN, '--json'], {}, io)).to.equal(0);
      expect(JSON.parse(io.stdout.join('\n'))).to.deep.equal({ nodes: NODES });
      expect(admin.logins).to.equal(logins);
    });

    it('says which credential was refused (exit 1)', async () => {
      const wrong = capture();
      expect(await runCtl(['nodes', '--node', admin.base], { ...CREDENTIALS, ADMIN_PASSWORD: 'nope-nope' }, wrong)).to.equal(1);
      expect(wrong.stderr).to.deep.equal(['ctl: login as admin@example.test refused: check ADMIN_EMAIL and ADMIN_PASSWORD']);
      const expired = capture();
      expect(await runCtl(['nodes', '--node', admin.base, '--token', 'old'], {}, expired)).to.equal(1);
      expect(expired.stderr[0]).to.match(/the token was refused \(expired, or signed with another SECRET_KEY_BASE\)/);
    });

    it('says when the node is not there (exit 1)', async () => {
      const port = await freePort();
      const io = capture();
      expect(await runCtl(['nodes', '--node', `http://127.0.0.1:${port}`, '--token', TOKEN], {}, io)).to.equal(1);
      expect(io.stderr).to.deep.equal([
        `ctl: cannot reach the node at http://127.0.0.1:${port}: connection refused (is the node running, and is this its admin PORT?)`,
      ]);
    });
  });

  describe('rejoin', () => {
    it('starts a rejoin and prints the job', async () => {
      admin.rejoinAnswer = 202;
      const io = capture();
      expect(await runCtl(['rejoin', '--node', admin.base], CREDENTIALS, io)).to.equal(0);
      expect(io.stderr).to.deep.equal([`rejoin started on ${admin.base}: job job-1`]);
      expect(JSON.parse(io.stdout.join('\n'))).to.include({ jobId: 'job-1', state: 'running' });
    });

    it('follows the job with --wait: exit 0 when it succeeded, 1 when it failed', async () => {
      admin.rejoinAnswer = 202;
      admin.jobFinalState = 'succeeded';
      const ok = capture();
      expect(await runCtl(['rejoin', '--node', admin.base, '--wait'], CREDENTIALS, ok)).to.equal(0);
      expect(JSON.parse(ok.stdout.join('\n'))).to.deep.include({ jobId: 'job-1', state: 'succeeded', counts: { regions: 3 } });

      admin.jobFinalState = 'failed';
      const failed = capture();
      expect(await runCtl(['rejoin', '--node', admin.base, '--wait', '--token', TOKEN], {}, failed)).to.equal(1);
      expect(failed.stderr.at(-1)).to.equal('ctl: rejoin job job-1 failed: MongoDB unreachable');
    });

    it('explains 409, 403 and 404 (exit 1)', async () => {
      const expected: Array<[409 | 403 | 404, RegExp]> = [
        [409, /^ctl: a rejoin is already running: .*A rejoin is already running \(job job-0\)/],
        [403, /^ctl: POST \/api\/v1\/cluster\/rejoin: not allowed for this user \(Needs the ADMIN role\.\)$/],
        [404, /^ctl: POST \/api\/v1\/cluster\/rejoin: the node at .* does not offer this \(404\)$/],
      ];
      for (const [status, message] of expected) {
        admin.rejoinAnswer = status;
        const io = capture();
        expect(await runCtl(['rejoin', '--node', admin.base], CREDENTIALS, io)).to.equal(1);
        expect(io.stderr.join('\n')).to.match(message);
      }
    });
  });
});
