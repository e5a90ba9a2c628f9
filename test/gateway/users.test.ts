import { expect } from 'chai';
import type { PublicUser } from '../../domain/auth/index.js';
import { startHarness, type Harness } from './support/harness.js';

describe('gateway/admin: users CRUD and permissions', () => {
  let h: Harness;
  let admin: PublicUser;
  let manager: PublicUser;
  let adminToken: string;
  let managerToken: string;

  beforeEach(async () => {
    h = await startHarness();
    admin = await h.seedUser('admin@example.com', 'admin-password', 'ADMIN');
    manager = await h.seedUser('manager@example.com', 'manager-password', 'MANAGER', 'Mona');
    adminToken = await h.login('admin@example.com', 'admin-password');
    managerToken = await h.login('manager@example.com', 'manager-password');
  });
  afterEach(async () => {
    await h?.close();
  });

  describe('ADMIN', () => {
    it('creates, lists, reads, changes and deletes users', async () => {
      const created = await h.request('POST', '/api/v1/users', {
        token: adminToken,
        body: { email: 'New@Example.com', password: 'new-password', role: 'MANAGER', name: 'Nina' },
      });
      expect(created.status).to.equal(201);
      expect(created.body).to.include({ email: 'new@example.com', role: 'MANAGER', name: 'Nina', version: 1 });
      expect(created.body).to.not.have.property('passwordHash');
      const id = created.body['id'] as string;

      const list = await h.request('GET', '/api/v1/users?limit=2&offset=0', { token: adminToken });
      expect(list.status).to.equal(200);
      expect(list.body['total']).to.equal(3);
      expect(list.body['items']).to.have.length(2);
      expect(JSON.stringify(list.body)).to.not.contain('passwordHash');

      expect((await h.request('GET', `/api/v1/users/${id}`, { token: adminToken })).body['email']).to.equal('new@example.com');

      const patched = await h.request('PATCH', `/api/v1/users/${id}`, {
        token: adminToken,
        body: { role: 'ADMIN', email: 'nina@example.com' },
      });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.include({ role: 'ADMIN', email: 'nina@example.com', version: 2 });

      expect((await h.request('DELETE', `/api/v1/users/${id}`, { token: adminToken })).status).to.equal(204);
      const gone = await h.request('GET', `/api/v1/users/${id}`, { token: adminToken });
      expect(gone.status).to.equal(404);
      expect(gone.body['error']).to.equal('not_found');
      expect((await h.request('DELETE', `/api/v1/users/${id}`, { token: adminToken })).status).to.equal(404);
      expect((await h.request('PATCH', `/api/v1/users/${id}`, { token: adminToken, body: { name: 'x' } })).status).to.equal(404);
    });

    it('409 for a duplicate email (create and change), naming the email', async () => {
      const dup = await h.request('POST', '/api/v1/users', {
        token: adminToken,
        body: { email: 'MANAGER@example.com', password: 'some-password', role: 'MANAGER' },
      });
      expect(dup.status).to.equal(409);
      expect(dup.body['error']).to.equal('conflict');
      expect(dup.body['message']).to.contain('manager@example.com');

      const change = await h.request('PATCH', `/api/v1/users/${manager.id}`, { token: adminToken, body: { email: 'admin@example.com' } });
      expect(change.status).to.equal(409);
      expect(h.users.snapshot().find((u) => u.id === manager.id)!.email).to.equal('manager@example.com');
    });

    it('400 for invalid fields (short password, bad role, bad email, empty patch)', async () => {
      const res = await h.request('POST', '/api/v1/users', {
        token: adminToken,
        body: { email: 'not-an-email', password: 'short', role: 'ROOT' },
      });
      expect(res.status).to.equal(400);
      const paths = (res.body['details'] as Array<{ path: string }>).map((d) => d.path);
      expect(paths).to.include.members(['body.email', 'body.password', 'body.role']);
      const empty = await h.request('PATCH', `/api/v1/users/${manager.id}`, { token: adminToken, body: {} });
      expect(empty.status).to.equal(400);
      const badPage = await h.request('GET', '/api/v1/users?limit=0', { token: adminToken });
      expect(badPage.status).to.equal(400);
      expect(h.users.snapshot()).to.have.length(2);
    });

    it('may not delete or demote themselves', async () => {
      const del = await h.request('DELETE', `/api/v1/users/${admin.id}`, { token: adminToken });
      expect(del.status).to.equal(403);
      expect(del.body['message']).to.contain('yourself');
      const demote = await h.request('PATCH', `/api/v1/users/${admin.id}`, { token: adminToken, body: { role: 'MANAGER' } });
      expect(demote.status).to.equal(403);
      expect(h.users.snapshot().find((u) => u.id === admin.id)!.role).to.equal('ADMIN');
      // Own name, email and password are fine.
      const own = await h.request('PATCH', `/api/v1/users/${admin.id}`, { token: adminToken, body: { name: 'Root', role: 'ADMIN' } });
      expect(own.status).to.equal(200);
    });

    it('may demote and delete another ADMIN', async () => {
      const other = await h.seedUser('other-admin@example.com', 'other-password', 'ADMIN');
      expect((await h.request('PATCH', `/api/v1/users/${other.id}`, { token: adminToken, body: { role: 'MANAGER' } })).status).to.equal(
        200,
      );
      expect((await h.request('DELETE', `/api/v1/users/${other.id}`, { token: adminToken })).status).to.equal(204);
    });
  });

  describe('MANAGER', () => {
    it('may not list, create or delete users', async () => {
      expect((await h.request('GET', '/api/v1/users', { token: managerToken })).status).to.equal(403);
      const create = await h.request('POST', '/api/v1/users', {
        token: managerToken,
        body: { email: 'x@example.com', password: 'x-password', role: 'ADMIN' },
      });
      expect(create.status).to.equal(403);
      expect((await h.request('DELETE', `/api/v1/users/${admin.id}`, { token: managerToken })).status).to.equal(403);
      expect((await h.request('DELETE', `/api/v1/users/${manager.id}`, { token: managerToken })).status).to.equal(403);
      expect(h.users.snapshot()).to.have.length(2);
    });

    it('may read only themselves', async () => {
      const self = await h.request('GET', `/api/v1/users/${manager.id}`, { token: managerToken });
      expect(self.status).to.equal(200);
      expect(self.body).to.include({ email: 'manager@example.com', name: 'Mona' });
      expect((await h.request('GET', `/api/v1/users/${admin.id}`, { token: managerToken })).status).to.equal(403);
    });

    it('may change their own name and password, nothing else, and nobody else', async () => {
      const ok = await h.request('PATCH', `/api/v1/users/${manager.id}`, {
        token: managerToken,
        body: { name: 'Monique', password: 'brand-new-password', currentPassword: 'manager-password' },
      });
      expect(ok.status).to.equal(200);
      expect(ok.body['name']).to.equal('Monique');
      // The new password works, the old one does not.
      expect(
        (await h.request('POST', '/api/v1/sessions', { body: { email: 'manager@example.com', password: 'manager-password' } })).status,
      ).to.equal(401);
      // The password change ended the old token: continue with a new one.
      managerToken = await h.login('manager@example.com', 'brand-new-password');

      const promote = await h.request('PATCH', `/api/v1/users/${manager.id}`, { token: managerToken, body: { role: 'ADMIN' } });
      expect(promote.status).to.equal(403);
      const email = await h.request('PATCH', `/api/v1/users/${manager.id}`, { token: managerToken, body: { email: 'm2@example.com' } });
      expect(email.status).to.equal(403);
      const other = await h.request('PATCH', `/api/v1/users/${admin.id}`, { token: managerToken, body: { name: 'Hacked' } });
      expect(other.status).to.equal(403);
      const stored = h.users.snapshot();
      expect(stored.find((u) => u.id === manager.id)!.role).to.equal('MANAGER');
      expect(stored.find((u) => u.id === admin.id)!.name).to.equal(undefined);
    });
  });
});
