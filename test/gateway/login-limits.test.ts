// Login limits (docs/security.md "Authentication and sessions"): attempts are counted before
// the password check, keyed by (account, client) and by client, the client address comes from
// the trusted-proxy rule (TRUSTED_PROXIES + X-Real-IP), and password checks run at most
// `loginConcurrency` at a time per node.
import { expect } from 'chai';
import { LocalCluster } from '../../cluster/local/index.js';
import { startHarness, type Harness } from './support/harness.js';

describe('gateway/admin: login limits', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const login = (email: string, password: string, realIp?: string, extra: Record<string, string> = {}) =>
    h.request('POST', '/api/v1/sessions', {
      body: { email, password },
      headers: { ...(realIp !== undefined ? { 'x-real-ip': realIp } : {}), ...extra },
    });

  it('parallel wrong logins: only `max` are checked, the rest get 429', async () => {
    h = await startHarness({ trustProxy: ['127.0.0.1'], loginLimit: { max: 3, clientMax: 100 }, loginConcurrency: 64 });
    await h.seedUser('admin@example.com', 'right-password', 'ADMIN');
    const answers = await Promise.all(Array.from({ length: 20 }, () => login('admin@example.com', 'wrong-password', '192.0.2.7')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).to.have.length(3);
    expect(statuses.filter((s) => s === 429)).to.have.length(17);
  });

  it('caps concurrent password checks per node: beyond the cap 429 with Retry-After', async () => {
    h = await startHarness({ trustProxy: ['127.0.0.1'], loginLimit: { max: 100, clientMax: 1000 }, loginConcurrency: 1 });
    await h.seedUser('admin@example.com', 'right-password', 'ADMIN');
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(`user${i}@example.com`, 'wrong-password', `198.51.100.${i + 1}`)),
    );
    const busy = answers.filter((a) => a.status === 429);
    expect(busy.length).to.be.at.least(1);
    expect(answers.filter((a) => a.status === 401).length).to.be.at.least(1);
    for (const answer of busy) {
      expect(Number(answer.headers.get('retry-after'))).to.be.at.least(1);
      expect(answer.body['message']).to.contain('busy');
    }
    // Once the flood is over, a login goes through.
    expect((await login('admin@example.com', 'right-password', '203.0.113.1')).status).to.equal(200);
  });

  describe('keys', () => {
    beforeEach(async () => {
      h = await startHarness({ trustProxy: ['127.0.0.1'], loginLimit: { max: 3, clientMax: 6 } });
      await h.seedUser('admin@example.com', 'right-password', 'ADMIN');
    });

    it('failures from one client do not lock the account for another client', async () => {
      for (let i = 0; i < 3; i += 1) expect((await login('admin@example.com', 'bad-password', '192.0.2.1')).status).to.equal(401);
      const limited = await login('admin@example.com', 'right-password', '192.0.2.1');
      expect(limited.status).to.equal(429);
      expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
      expect((await login('admin@example.com', 'right-password', '192.0.2.2')).status).to.equal(200);
    });

    it('clients behind the trusted proxy are told apart by X-Real-IP', async () => {
      for (let i = 0; i < 3; i += 1) await login('admin@example.com', 'bad-password', '192.0.2.10');
      expect((await login('admin@example.com', 'right-password', '192.0.2.11')).status).to.equal(200);
    });

    it('X-Forwarded-For is not believed (a client cannot pick a fresh key per attempt)', async () => {
      for (let i = 0; i < 6; i += 1) {
        const res = await login(`nobody${i}@example.com`, 'bad-password', undefined, { 'x-forwarded-for': `10.9.0.${i}` });
        expect(res.status).to.equal(401);
      }
      const res = await login('admin@example.com', 'right-password', undefined, { 'x-forwarded-for': '10.9.1.1' });
      expect(res.status).to.equal(429);
    });

    it('groups IPv6 clients by /64', async () => {
      for (let i = 0; i < 3; i += 1) await login('admin@example.com', 'bad-password', `2001:db8:1:2::${i + 1}`);
      expect((await login('admin@example.com', 'right-password', '2001:db8:1:2:ffff::9')).status).to.equal(429);
      expect((await login('admin@example.com', 'right-password', '2001:db8:1:3::1')).status).to.equal(200);
    });

    it('limits one client across accounts (clientMax)', async () => {
      for (let i = 0; i < 6; i += 1) await login(`nobody${i}@example.com`, 'bad-password', '192.0.2.20');
      expect((await login('admin@example.com', 'right-password', '192.0.2.20')).status).to.equal(429);
      expect((await login('admin@example.com', 'right-password', '192.0.2.21')).status).to.equal(200);
    });
  });

  it('two nodes share the counts (the cluster store)', async () => {
    const hub = new LocalCluster();
    const options = { trustProxy: ['127.0.0.1'], loginLimit: { max: 4, clientMax: 100 } };
    h = await startHarness({ ...options, counters: hub.store().counters });
    const other = await startHarness({ ...options, counters: hub.store().counters });
    try {
      await h.seedUser('admin@example.com', 'right-password', 'ADMIN');
      const wrong = (node: Harness) =>
        node.request('POST', '/api/v1/sessions', {
          body: { email: 'admin@example.com', password: 'bad-password' },
          headers: { 'x-real-ip': '192.0.2.30' },
        });
      for (const node of [h, other, h, other]) expect((await wrong(node)).status).to.equal(401);
      expect((await wrong(other)).status).to.equal(429);
      expect((await wrong(h)).status).to.equal(429);
    } finally {
      await other.close();
    }
  });
});
