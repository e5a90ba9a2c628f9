import { expect } from 'chai';
import { BOOTSTRAP_EMAIL } from '../../actors/auth/index.js';
import { startHarness, type Harness } from './support/harness.js';

describe('actors/auth: bootstrap admin', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.close();
  });

  it('creates admin@localhost with a random password once, printed once (not logged)', async () => {
    const printed: string[] = [];
    const print = (text: string): void => void printed.push(text);

    const first = await h.auth.ensureBootstrapAdmin({ print });
    expect(first).to.deep.equal({ created: true, email: BOOTSTRAP_EMAIL, generatedPassword: true });
    expect(printed).to.have.length(1);
    const match = /password: (\S+)/.exec(printed[0]!);
    expect(match).to.not.equal(null);
    const password = match![1]!;
    expect(password.length).to.be.at.least(20);
    expect(printed[0]).to.contain(BOOTSTRAP_EMAIL);

    const users = h.users.snapshot();
    expect(users).to.have.length(1);
    expect(users[0]).to.include({ email: BOOTSTRAP_EMAIL, role: 'ADMIN' });
    expect(users[0]!.passwordHash).to.not.contain(password);

    // The printed password logs in; it never reached the logger.
    await h.login(BOOTSTRAP_EMAIL, password);
    expect(h.logText()).to.not.contain(password);

    const second = await h.auth.ensureBootstrapAdmin({ print });
    expect(second).to.deep.equal({ created: false });
    expect(printed).to.have.length(1);
    expect(h.users.snapshot()).to.have.length(1);
  });

  it('creates the configured ADMIN_EMAIL/ADMIN_PASSWORD admin and prints nothing', async () => {
    const printed: string[] = [];
    const result = await h.auth.ensureBootstrapAdmin({
      adminEmail: 'Boss@Example.com',
      adminPassword: 'configured-password',
      print: (text) => void printed.push(text),
    });
    expect(result).to.deep.equal({ created: true, email: 'Boss@Example.com', generatedPassword: false });
    expect(printed).to.deep.equal([]);
    await h.login('boss@example.com', 'configured-password');
  });

  it('does nothing when a user already exists', async () => {
    await h.seedUser('someone@example.com', 'someone-password', 'MANAGER');
    const result = await h.auth.ensureBootstrapAdmin({ adminEmail: 'boss@example.com', adminPassword: 'configured-password' });
    expect(result).to.deep.equal({ created: false });
    expect(h.users.snapshot().map((u) => u.email)).to.deep.equal(['someone@example.com']);
  });

  it('fails with a clear error (not a crash) while the store is down, and works once it is back', async () => {
    h.users.unavailable = true;
    let failure: unknown;
    try {
      await h.auth.ensureBootstrapAdmin({ print: () => {} });
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(Error);
    expect((failure as { code?: string }).code).to.equal('UNAVAILABLE');
    h.users.unavailable = false;
    expect((await h.auth.ensureBootstrapAdmin({ print: () => {} })).created).to.equal(true);
  });
});
