// Signed, expiring bearer tokens and signed URLs: HMAC-SHA256 with keys derived from
// SECRET_KEY_BASE (one key per purpose, so a URL signature can never pass as a token).
//
// Token format: <payload base64url>.<signature base64url>, payload = {"userId","role","exp","ver"}
// with `exp` in epoch milliseconds and `ver` the user's token version when it was issued:
// bumping the stored version (password or role change, logout everywhere) ends every older
// token (docs/security.md). A token without `ver` counts as version 0.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { isRole, type Role } from './user.js';

export interface TokenClaims {
  userId: string;
  role: Role;
  /** Expiry, epoch milliseconds. */
  exp: number;
  /** The user's token version at issue time. */
  ver: number;
}

export type TokenFailure = 'expired' | 'bad-signature' | 'malformed';
export type TokenResult = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenFailure };

type Purpose = 'auth-token' | 'signed-url';

function deriveKey(secretKeyBase: string, purpose: Purpose): Buffer {
  if (typeof secretKeyBase !== 'string' || secretKeyBase.length === 0) {
    throw new TypeError('SECRET_KEY_BASE is empty');
  }
  return Buffer.from(hkdfSync('sha256', secretKeyBase, 'beamstack', `beamstack/${purpose}/v1`, 32));
}

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const B64URL = /^[A-Za-z0-9_-]+$/;
/** Tokens longer than this are refused before any work (headers are attacker-controlled). */
const MAX_TOKEN_LENGTH = 4096;

export interface SignTokenOptions {
  secretKeyBase: string;
  ttlMs: number;
  now?: number;
}

export function signToken(subject: { userId: string; role: Role; tokenVersion?: number }, opts: SignTokenOptions): string {
  if (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0) throw new RangeError('ttlMs must be a positive number');
  const claims: TokenClaims = {
    userId: subject.userId,
    role: subject.role,
    exp: (opts.now ?? Date.now()) + opts.ttlMs,
    ver: subject.tokenVersion ?? 0,
  };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = mac(deriveKey(opts.secretKeyBase, 'auth-token'), payload).toString('base64url');
  return `${payload}.${signature}`;
}

function parseClaims(payload: string): TokenClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { userId, role, exp, ver = 0 } = value as Record<string, unknown>;
  if (typeof userId !== 'string' || userId.length === 0 || !isRole(role)) return null;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  if (typeof ver !== 'number' || !Number.isSafeInteger(ver) || ver < 0) return null;
  return { userId, role, exp, ver };
}

/** Checks shape, then signature (constant-time), then expiry. */
export function verifyToken(token: unknown, opts: { secretKeyBase: string; now?: number }): TokenResult {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: 'malformed' };
  }
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts as [string, string];
  if (!B64URL.test(payload) || !B64URL.test(signature)) return { ok: false, reason: 'malformed' };
  const expected = mac(deriveKey(opts.secretKeyBase, 'auth-token'), payload);
  if (!safeEqual(Buffer.from(signature, 'base64url'), expected)) return { ok: false, reason: 'bad-signature' };
  const claims = parseClaims(payload);
  if (claims === null) return { ok: false, reason: 'malformed' };
  if (claims.exp <= (opts.now ?? Date.now())) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
