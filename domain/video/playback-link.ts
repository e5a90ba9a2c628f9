// Signed, expiring playback links (docs/video.md, "Playback links"): HMAC-SHA256 over the zone,
// the file name, the expiry and the user the link was made for, keyed from SECRET_KEY_BASE.
// Any node can sign; the storage node verifies with the same secret.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface PlaybackLinkFields {
  zone: string;
  fileName: string;
  /** Unix seconds. */
  exp: number;
  /** Id of the user the link was made for (audited on playback); empty when none. */
  user: string;
}

function linkKey(secretKeyBase: string): Buffer {
  // A key of its own, so a link signature can never be mistaken for a session token's.
  return createHash('sha256').update(`beamstack video link\u0000${secretKeyBase}`).digest();
}

export function signPlayback(secretKeyBase: string, fields: PlaybackLinkFields): string {
  return createHmac('sha256', linkKey(secretKeyBase))
    .update([fields.zone, fields.fileName, String(fields.exp), fields.user].join('\u0000'))
    .digest('base64url');
}

/** The query string (without `?`) of a link valid for `ttlS` seconds from `nowMs`. */
export function playbackQuery(
  secretKeyBase: string,
  zone: string,
  fileName: string,
  user: string,
  ttlS: number,
  nowMs = Date.now(),
): string {
  const exp = Math.floor(nowMs / 1000) + ttlS;
  const sig = signPlayback(secretKeyBase, { zone, fileName, exp, user });
  const params = new URLSearchParams({ exp: String(exp), ...(user !== '' ? { u: user } : {}), sig });
  return params.toString();
}

export type LinkCheck = { ok: true; user: string } | { ok: false; reason: 'missing' | 'expired' | 'bad-signature' };

export function verifyPlayback(
  secretKeyBase: string,
  zone: string,
  fileName: string,
  query: { exp?: unknown; sig?: unknown; u?: unknown },
  nowMs = Date.now(),
): LinkCheck {
  const { exp, sig } = query;
  const user = typeof query.u === 'string' ? query.u : '';
  if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'missing' };
  const expected = Buffer.from(signPlayback(secretKeyBase, { zone, fileName, exp: Number(exp), user }));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  if (Number(exp) * 1000 < nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, user };
}
