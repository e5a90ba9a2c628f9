import { expect } from 'chai';
import { hashPassword, needsRehash, verifyPassword, dummyPasswordHash, type ScryptParams } from '../../domain/auth/password.js';
import { signToken, verifyToken } from '../../domain/auth/token.js';
import { normalizeEmail, toPublicUser, type User } from '../../domain/auth/user.js';

const FAST: ScryptParams = { N: 1024, r: 8, p: 1 };
const SECRET = 'x'.repeat(40);
const OTHER_SECRET = 'y'.repeat(40);
const NOW = 1_800_000_000_000;

describe('domain/auth password', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format and verifies', async () => {
    const hash = await hashPassword('correct horse battery', FAST);
    expect(hash).to.match(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('correct horse battery', hash)).to.equal(true);
    expect(await verifyPassword('correct horse batterz', hash)).to.equal(false);
  });

  it('uses a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same password', FAST), hashPassword('same password', FAST)]);
    expect(a).to.not.equal(b);
  });

  it('uses the OWASP parameters N=2^17, r=8, p=1 by default; older hashes need a rehash', async () => {
    const strong = await hashPassword('default params');
    expect(strong.startsWith('scrypt$131072$8$1$')).to.equal(true);
    expect(await verifyPassword('default params', strong)).to.equal(true);
    expect(needsRehash(strong)).to.equal(false);
    expect(needsRehash(await hashPassword('older params', { N: 16384, r: 8, p: 1 }))).to.equal(true);
    expect(needsRehash('not a hash')).to.equal(false);
  });

  it('treats malformed or hostile stored hashes as a mismatch, never a crash', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$1024$8$1$abc',
      'bcrypt$1$2$3$aa$bb',
      'scrypt$1073741824$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA',
      'scrypt$1000$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      expect(await verifyPassword('whatever123', stored), stored).to.equal(false);
    }
    expect(await verifyPassword('', await hashPassword('not empty', FAST))).to.equal(false);
  });

  it('refuses empty and oversized passwords when hashing', async () => {
    let error: unknown;
    try {
      await hashPassword('');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(TypeError);
    error = undefined;
    try {
      await hashPassword('a'.repeat(2000));
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(RangeError);
  });

  it('has a dummy hash for timing-equal unknown-user checks', async () => {
    const dummy = await dummyPasswordHash();
    expect(await verifyPassword('anything-at-all', dummy)).to.equal(false);
    expect(await dummyPasswordHash()).to.equal(dummy);
  });
});

describe('domain/auth token', () => {
  const subject = { userId: 'user-1', role: 'ADMIN' as const };

  it('signs and verifies', () => {
    const token = signToken(subject, { secretKeyBase: SECRET, ttlMs: 60_000, now: NOW });
    const result = verifyToken(token, { secretKeyBase: SECRET, now: NOW + 1000 });
    expect(result).to.deep.equal({ ok: true, claims: { userId: 'user-1', role: 'ADMIN', exp: NOW + 60_000, ver: 0 } });
  });

  it('expires', () => {
    const token = signToken(subject, { secretKeyBase: SECRET, ttlMs: 60_000, now: NOW });
    expect(verifyToken(token, { secretKeyBase: SECRET, now: NOW + 60_000 })).to.deep.equal({ ok: false, reason: 'expired' });
  });

  it('rejects a tampered payload or signature and a different secret', () => {
    const token = signToken(subject, { secretKeyBase: SECRET, ttlMs: 60_000, now: NOW });
    const [payload, sig] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ userId: 'user-1', role: 'ADMIN', exp: NOW + 10 ** 9 })).toString('base64url');
    expect(verifyToken(`${forged}.${sig}`, { secretKeyBase: SECRET, now: NOW })).to.deep.equal({ ok: false, reason: 'bad-signature' });
    const flipped = sig.slice(0, -2) + (sig.endsWith('A') ? 'BB' : 'AA');
    expect(verifyToken(`${payload}.${flipped}`, { secretKeyBase: SECRET, now: NOW })).to.deep.equal({ ok: false, reason: 'bad-signature' });
    expect(verifyToken(token, { secretKeyBase: OTHER_SECRET, now: NOW })).to.deep.equal({ ok: false, reason: 'bad-signature' });
  });

  it('reports malformed tokens', () => {
    for (const bad of [undefined, 42, '', 'abc', 'a.b.c', 'a b.c', '.', 'x'.repeat(5000)]) {
      expect(verifyToken(bad, { secretKeyBase: SECRET, now: NOW })).to.deep.equal({ ok: false, reason: 'malformed' });
    }
  });
});

describe('domain/auth user', () => {
  it('normalizes emails and hides the password hash', () => {
    expect(normalizeEmail('  Alice@Example.COM ')).to.equal('alice@example.com');
    const user: User = {
      id: 'u1',
      email: 'a@b.c',
      role: 'MANAGER',
      passwordHash: 'scrypt$…',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    };
    const shown = toPublicUser(user);
    expect(shown).to.not.have.property('passwordHash');
    expect(shown.email).to.equal('a@b.c');
  });
});
