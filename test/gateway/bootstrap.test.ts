import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { bootstrapPasswordFile } from '../../bin/node/bootstrap-password.js';
import { BOOTSTRAP_EMAIL } from '../../actors/auth/index.js';
import { startHarness, type Harness } from './support/harness.js';

/** A password store that keeps nothing (for the cases that must not need one). */
const nowhere = () => ({ commit: async () => 'nowhere', discard: async () => {} });

describe('actors/auth: bootstrap admin', () => {
  let h: Harness;
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'bootstrap-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('creates admin@localhost with a random password once, saved to a 0600 file (never printed or logged)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'data', 'bootstrap-admin-password');
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    };
    let first;
    try {
      first = await h.auth.ensureBootstrapAdmin({ savePassword: bootstrapPasswordFile(file) });
    } finally {
      process.stdout.write = write;
    }
    expect(first).to.deep.equal({ created: true, email: BOOTSTRAP_EMAIL, generatedPassword: true });
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    const text = await readFile(file, 'utf8');
    const match = /password: (\S+)/.exec(text);
    expect(match).to.not.equal(null);
    const password = match![1]!;
    expect(password.length).to.be.at.least(20);
    expect(text).to.contain(BOOTSTRAP_EMAIL);
    expect(stdout.join('')).to.not.contain(password);

    const users = h.users.snapshot();
    expect(users).to.have.length(1);
    expect(users[0]).to.include({ email: BOOTSTRAP_EMAIL, role: 'ADMIN' });
    expect(users[0]!.passwordHash).to.not.contain(password);

    // The saved password logs in; the log says where the file is, never the password.
    await h.login(BOOTSTRAP_EMAIL, password);
    expect(h.logText()).to.contain(file);
    expect(h.logText()).to.not.contain(password);

    const second = await h.auth.ensureBootstrapAdmin({ savePassword: bootstrapPasswordFile(file) });
    expect(second).to.deep.equal({ created: false });
    expect(await readFile(file, 'utf8')).to.equal(text);
    expect(await readdir(dirname(file))).to.deep.equal(['bootstrap-admin-password']);
    expect(h.users.snapshot()).to.have.length(1);
  });

  it('tightens an existing password file to 0600 before writing', async () => {
    const dir = await tempDir();
    const file = join(dir, 'bootstrap-admin-password');
    await writeFile(file, 'old', { mode: 0o644 });
    await h.auth.ensureBootstrapAdmin({ savePassword: bootstrapPasswordFile(file) });
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(await readFile(file, 'utf8')).to.not.contain('old');
  });

  it('creates the configured ADMIN_EMAIL/ADMIN_PASSWORD admin and saves nothing', async () => {
    const saved: string[] = [];
    const result = await h.auth.ensureBootstrapAdmin({
      adminEmail: 'Boss@Example.com',
      adminPassword: 'configured-password',
      savePassword: async (email) => {
        saved.push(email);
        return nowhere();
      },
    });
    expect(result).to.deep.equal({ created: true, email: 'Boss@Example.com', generatedPassword: false });
    expect(saved).to.deep.equal([]);
    await h.login('boss@example.com', 'configured-password');
  });

  it('does nothing when a user already exists', async () => {
    await h.seedUser('someone@example.com', 'someone-password', 'MANAGER');
    const result = await h.auth.ensureBootstrapAdmin({
      adminEmail: 'boss@example.com',
      adminPassword: 'configured-password',
      savePassword: async () => nowhere(),
    });
    expect(result).to.deep.equal({ created: false });
    expect(h.users.snapshot().map((u) => u.email)).to.deep.equal(['someone@example.com']);
  });

  it('fails with a clear error (not a crash) while the store is down, and works once it is back', async () => {
    h.users.unavailable = true;
    let failure: unknown;
    try {
      await h.auth.ensureBootstrapAdmin({ savePassword: async () => nowhere() });
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(Error);
    expect((failure as { code?: string }).code).to.equal('UNAVAILABLE');
    h.users.unavailable = false;
    expect((await h.auth.ensureBootstrapAdmin({ savePassword: async () => nowhere() })).created).to.equal(true);
  });
});
