import { expect } from 'chai';
import { startHarness, type Harness } from './support/harness.js';

describe('gateway/admin: no password or token in the logs', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('logs every request line but never a password, a hash or a token', async () => {
    const secrets: string[] = [];
    const adminPassword = 'Adm1n-pa55word-XYZ';
    const newUserPassword = 'N3w-user-pa55word-QRS';
    const changedPassword = 'Chang3d-pa55word-LMN';
    const wrongPassword = 'Wr0ng-pa55word-DEF';
    const bogusToken = 'Ym9ndXMtdG9rZW4tcGF5bG9hZA.Ym9ndXMtc2lnbmF0dXJl';
    secrets.push(adminPassword, newUserPassword, changedPassword, wrongPassword, bogusToken);

    await h.seedUser('admin@example.com', adminPassword, 'ADMIN');
    const token = await h.login('admin@example.com', adminPassword);
    secrets.push(token);

    // Failed logins: wrong password, unknown email, malformed body carrying a password.
    await h.request('POST', '/api/v1/sessions', { body: { email: 'admin@example.com', password: wrongPassword } });
    await h.request('POST', '/api/v1/sessions', { body: { email: 'ghost@example.com', password: wrongPassword } });
    await h.request('POST', '/api/v1/sessions', { body: { email: 'admin@example.com', password: wrongPassword, x: 1 } });
    await h.request('POST', '/api/v1/sessions', { rawBody: `{"email":"a@b","password":"${wrongPassword}"` });

    // User creation and a password change.
    const created = await h.request('POST', '/api/v1/users', {
      token,
      body: { email: 'new@example.com', password: newUserPassword, role: 'MANAGER' },
    });
    expect(created.status).to.equal(201);
    const id = created.body['id'] as string;
    await h.request('PATCH', `/api/v1/users/${id}`, { token, body: { password: changedPassword } });
    const newToken = await h.login('new@example.com', changedPassword);
    secrets.push(newToken);

    // Failed auth: bogus and valid tokens where they do not belong, and a token in a query string.
    await h.request('GET', '/api/v1/users', { token: bogusToken });
    await h.request('GET', '/api/v1/users', { token: newToken }); // 403
    await h.request('GET', `/api/v1/nowhere?token=${token}`);
    // A 503 (the store down) while a token is present.
    h.users.unavailable = true;
    await h.request('GET', '/api/v1/users', { token });
    h.users.unavailable = false;

    for (const user of h.users.snapshot()) secrets.push(user.passwordHash);

    const logs = h.logText();
    expect(logs.split('\n').filter(Boolean).length).to.be.greaterThan(8);
    expect(logs).to.contain('"url":"/api/v1/sessions"');
    for (const secret of secrets) {
      expect(logs.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the logs`).to.equal(false);
    }
    // Not even a part of the tokens (e.g. the signature).
    for (const t of [token, newToken]) {
      for (const part of t.split('.')) expect(logs).to.not.contain(part);
    }
  });
});
