import { expect } from 'chai';
import { signToken } from '../../domain/auth/index.js';
import { SECRET_KEY_BASE, startHarness, type Harness } from './support/harness.js';

describe('gateway/admin: sessions (login) and tokens', () => {
  let h: Harness;

  beforeEach(async () => {
    // The loopback peer is a trusted proxy, so tests act as different clients through X-Real-IP.
    h = await startHarness({ trustProxy: ['127.0.0.1'], loginLimit: { max: 3, clientMax: 3 } });
    await h.seedUser('Admin@Example.com', 'right-password', 'ADMIN', 'Ada');
  });
  afterEach(async () => {
    await h?.close();
  });

  const login = (email: string, password: string, ip = '10.0.0.1') =>
    h.request('POST', '/api/v1/sessions', { body: { email, password }, headers: { 'x-real-ip': ip } });

  it('returns a token and the user for the right password (email case-insensitive)', async () => {
    const res = await login('ADMIN@example.com', 'right-password');
    expect(res.status).to.equal(200);
    expect(res.body['token']).to.be.a('string');
    expect(res.body['user']).to.include({ email: 'admin@example.com', role: 'ADMIN', name: 'Ada' });
    expect(res.body['user']).to.not.have.property('passwordHash');
    expect(Date.parse(res.body['expiresAt'] as string)).to.be.greaterThan(Date.now());

    const me = await h.request('GET', `/api/v1/users/${res.body['user'].id}`, { token: res.body['token'] as string });
    expect(me.status).to.equal(200);
  });

  it('answers wrong password and unknown email with the same 401', async () => {
    const wrong = await login('admin@example.com', 'wrong-password');
    const unknown = await login('nobody@example.com', 'wrong-password');
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(wrong.body).to.deep.equal(unknown.body);
    expect(wrong.body).to.deep.equal({ error: 'unauthorized', message: 'Wrong email or password.' });
  });

  it('checks a password for unknown emails too (no shortcut that reveals them by timing)', async () => {
    h.users.calls.length = 0;
    const started = process.hrtime.bigint();
    await login('nobody@example.com', 'whatever-password');
    const unknownMs = Number(process.hrtime.bigint() - started) / 1e6;
    // The dummy verify runs scrypt with the default cost (N = 2^14): never near-instant.
    expect(unknownMs).to.be.greaterThan(5);
    expect(h.users.calls).to.deep.equal(['findByEmail']);
  });

  it('400 for a malformed login body, without echoing the password', async () => {
    const res = await h.request('POST', '/api/v1/sessions', { body: { email: 'a@b', password: '', extra: 'x' } });
    expect(res.status).to.equal(400);
    expect(res.body['details']).to.deep.include({ path: 'body.extra', message: 'is not an allowed field' });
  });

  it('limits failed logins per IP, across emails', async () => {
    for (let i = 0; i < 3; i += 1) expect((await login(`nobody${i}@example.com`, 'bad-password', '10.0.3.1')).status).to.equal(401);
    expect((await login('admin@example.com', 'right-password', '10.0.3.1')).status).to.equal(429);
    expect((await login('admin@example.com', 'right-password', '10.0.3.2')).status).to.equal(200);
  });

  it('a successful login clears the failures', async () => {
    for (let i = 0; i < 2; i += 1) await login('admin@example.com', 'bad-password');
    expect((await login('admin@example.com', 'right-password')).status).to.equal(200);
    for (let i = 0; i < 2; i += 1) expect((await login('admin@example.com', 'bad-password')).status).to.equal(401);
    expect((await login('admin@example.com', 'right-password')).status).to.equal(200);
  });

  it('401 for an expired token, a token signed with another key, and a deleted user', async () => {
    const admin = h.users.snapshot()[0]!;
    const expired = signToken(
      { userId: admin.id, role: 'ADMIN' },
      { secretKeyBase: SECRET_KEY_BASE, ttlMs: 1000, now: Date.now() - 10_000 },
    );
    const res = await h.request('GET', '/api/v1/users', { token: expired });
    expect(res.status).to.equal(401);
    expect(res.body['message']).to.contain('expired');

    const forged = signToken(
      { userId: admin.id, role: 'ADMIN' },
      { secretKeyBase: 'another-secret-key-base-0123456789abcdef', ttlMs: 60_000 },
    );
    expect((await h.request('GET', '/api/v1/users', { token: forged })).status).to.equal(401);

    const ghost = signToken({ userId: 'no-such-user', role: 'ADMIN' }, { secretKeyBase: SECRET_KEY_BASE, ttlMs: 60_000 });
    expect((await h.request('GET', '/api/v1/users', { token: ghost })).status).to.equal(401);
  });

  it('a role change applies at once: the token issued before it is refused', async () => {
    const token = await h.login('admin@example.com', 'right-password');
    const admin = h.users.snapshot()[0]!;
    await h.seedUser('other-admin@example.com', 'other-password', 'ADMIN');
    const other = await h.login('other-admin@example.com', 'other-password');
    const demote = await h.request('PATCH', `/api/v1/users/${admin.id}`, { token: other, body: { role: 'MANAGER' } });
    expect(demote.status).to.equal(200);
    expect((await h.request('GET', '/api/v1/users', { token })).status).to.equal(401);
  });

  it('503 (not 401) when the users store is down during login', async () => {
    h.users.unavailable = true;
    const res = await login('admin@example.com', 'right-password');
    expect(res.status).to.equal(503);
    expect(res.body['message']).to.contain('mongodb');
  });
});
