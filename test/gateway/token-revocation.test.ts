// Token revocation and password rules (docs/security.md "Authentication and sessions"):
// a per-user token version bumped on a password change, a role change and on
// DELETE /api/v1/sessions; your own password changes only with the current one; scrypt at
// the OWASP parameters, rehashed on login; the most common passwords refused.
import { expect } from 'chai';
import { DEFAULT_SCRYPT_PARAMS, needsRehash } from '../../domain/auth/index.js';
import { startHarness, type Harness } from './support/harness.js';

describe('gateway/admin: token revocation and password rules', () => {
  let h: Harness;
  let adminId: string;
  let managerId: string;

  beforeEach(async () => {
    h = await startHarness();
    adminId = (await h.seedUser('admin@example.com', 'admin-password', 'ADMIN')).id;
    managerId = (await h.seedUser('manager@example.com', 'manager-password', 'MANAGER')).id;
  });
  afterEach(async () => {
    await h?.close();
  });

  const me = (token: string, id = managerId) => h.request('GET', `/api/v1/users/${id}`, { token });

  it('a password change (by an ADMIN) ends the tokens issued before it', async () => {
    const admin = await h.login('admin@example.com', 'admin-password');
    const old = await h.login('manager@example.com', 'manager-password');
    const res = await h.request('PATCH', `/api/v1/users/${managerId}`, { token: admin, body: { password: 'a-new-long-password' } });
    expect(res.status).to.equal(200);
    const refused = await me(old);
    expect(refused.status).to.equal(401);
    expect(refused.body['message']).to.contain('revoked');
    expect((await me(await h.login('manager@example.com', 'a-new-long-password'))).status).to.equal(200);
  });

  it('a role change ends the tokens issued before it; a name change does not', async () => {
    const admin = await h.login('admin@example.com', 'admin-password');
    const old = await h.login('manager@example.com', 'manager-password');
    await h.request('PATCH', `/api/v1/users/${managerId}`, { token: admin, body: { name: 'Mona' } });
    expect((await me(old)).status).to.equal(200);
    await h.request('PATCH', `/api/v1/users/${managerId}`, { token: admin, body: { role: 'ADMIN' } });
    expect((await me(old)).status).to.equal(401);
  });

  it('DELETE /api/v1/sessions logs the caller out everywhere (every token), nobody else', async () => {
    const first = await h.login('manager@example.com', 'manager-password');
    const second = await h.login('manager@example.com', 'manager-password');
    const admin = await h.login('admin@example.com', 'admin-password');
    const res = await h.request('DELETE', '/api/v1/sessions', { token: first });
    expect(res.status).to.equal(204);
    expect((await me(first)).status).to.equal(401);
    expect((await me(second)).status).to.equal(401);
    expect((await me(admin, adminId)).status).to.equal(200);
    expect((await h.request('DELETE', '/api/v1/sessions', {})).status).to.equal(401);
    expect((await me(await h.login('manager@example.com', 'manager-password'))).status).to.equal(200);
  });

  it('changing your own password needs the current one', async () => {
    const token = await h.login('manager@example.com', 'manager-password');
    const missing = await h.request('PATCH', `/api/v1/users/${managerId}`, { token, body: { password: 'a-new-long-password' } });
    expect(missing.status).to.equal(400);
    expect(missing.body['message']).to.contain('currentPassword');
    const wrong = await h.request('PATCH', `/api/v1/users/${managerId}`, {
      token,
      body: { password: 'a-new-long-password', currentPassword: 'not-the-password' },
    });
    expect(wrong.status).to.equal(403);
    expect((await h.login('manager@example.com', 'manager-password')).length).to.be.greaterThan(0);
    const ok = await h.request('PATCH', `/api/v1/users/${managerId}`, {
      token,
      body: { password: 'a-new-long-password', currentPassword: 'manager-password' },
    });
    expect(ok.status).to.equal(200);
    await h.login('manager@example.com', 'a-new-long-password');
  });

  it('refuses the most common passwords (400), case-insensitively', async () => {
    const admin = await h.login('admin@example.com', 'admin-password');
    for (const password of ['password1', 'Baseball', 'qwertyuiop']) {
      const res = await h.request('POST', '/api/v1/users', { token: admin, body: { email: 'x@example.com', password, role: 'MANAGER' } });
      expect(res.status, password).to.equal(400);
      expect(res.body['message']).to.contain('common');
    }
    const patch = await h.request('PATCH', `/api/v1/users/${managerId}`, { token: admin, body: { password: 'superman' } });
    expect(patch.status).to.equal(400);
    const fine = await h.request('POST', '/api/v1/users', {
      token: admin,
      body: { email: 'x@example.com', password: 'violet-tram-harbour', role: 'MANAGER' },
    });
    expect(fine.status).to.equal(201);
  });

  it('hashes with N = 2^17, r = 8, p = 1 by default and rehashes an older hash at login', async () => {
    expect(DEFAULT_SCRYPT_PARAMS).to.deep.equal({ N: 131072, r: 8, p: 1 });
    expect(needsRehash('scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).to.equal(true);
    // This harness hashes with N = 2048 (the node with the default): a seeded N = 1024 hash is older.
    await h.close();
    h = await startHarness({ scrypt: { N: 2048, r: 8, p: 1 } });
    const manager = await h.seedUser('manager@example.com', 'manager-password', 'MANAGER');
    const hashOf = () => h.users.snapshot().find((u) => u.id === manager.id)!.passwordHash;
    expect(hashOf().startsWith('scrypt$1024$')).to.equal(true);
    const token = await h.login('manager@example.com', 'manager-password');
    expect(hashOf().startsWith('scrypt$2048$8$1$')).to.equal(true);
    // Not a password change: the token issued at that login stays valid, the password too.
    expect((await me(token, manager.id)).status).to.equal(200);
    await h.login('manager@example.com', 'manager-password');
    expect(hashOf().startsWith('scrypt$2048$8$1$')).to.equal(true);
  });
});
