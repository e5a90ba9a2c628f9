// Client request paths (docs/routing.md), parsed with a hand-written scanner: this runs
// once per redirect, so no regex and no allocation beyond the result and one slice.
//
// Edge cases (decided here, documented for operators):
// - The query string and any fragment are dropped before anything else.
// - Runs of "/" collapse to one everywhere (as nginx's default merge_slashes does), so
//   "/btv//live/hls/ch1" is "/btv/live/hls/ch1" and "/vod//a" redirects to ".../vod/a".
// - No %-decoding. In /btv paths "%" is simply not a resource character → 400. VOD and
//   static paths are passed through still encoded (the edge decodes); a "%" not followed by
//   two hex digits → 400.
// - VOD/static paths may only contain URL path characters (RFC 3986 pchar and "/"); spaces,
//   quotes, "<>", "\", control or non-ASCII characters → 400 (they would be unsafe in a
//   Location header). "." and ".." segments (also as %2e) → 400 (no path traversal on edges).
// - Bare "/vod/" or "/static/" (nothing after the prefix) → 400; "/vod" without slash → 400.
// - Trailing slash: "/btv/live/hls/ch1/" → 400 (the resource must be the last segment);
//   "/vod/a/b/" is kept as is (a directory on the edge).
// - Prefixes, codecs and extensions are case-sensitive ("/BTV/..." or "HLS" → 400).
// - One extension of word characters is stripped ("ch1.m3u8" → "ch1"); "ch1." or "ch1.a.b" → 400.
import type { Encryption, Protocol } from '../../domain/routing/entities.js';
import { contentSlot } from './content-slot.js';

export type RequestKind = 'live' | 'catchup' | 'vod' | 'static';

export interface ContentRequest {
  readonly ok: true;
  readonly kind: 'live' | 'catchup';
  readonly protocol: Protocol;
  readonly encryption: Encryption;
  /** contentSlot(protocol, encryption) */
  readonly slot: number;
  /** LinearChannel.epgId (live) or Program.epgId (catch-up), extension stripped. */
  readonly resource: string;
}

export interface AssetRequest {
  readonly ok: true;
  readonly kind: 'vod' | 'static';
  /** The part after "/vod/" or "/static/". */
  readonly resource: string;
  /** The normalized request path ("/vod/a/b"), without query. */
  readonly path: string;
}

export interface InvalidRequest {
  readonly ok: false;
  readonly reason: string;
  readonly kind?: RequestKind;
}

export type ParsedRequest = ContentRequest | AssetRequest | InvalidRequest;

export const MAX_PATH_LENGTH = 4096;

interface Codec {
  protocol: Protocol;
  encryption: Encryption;
  slot: number;
}

const CODECS = new Map<string, Codec>();
for (const [name, protocol] of [
  ['hls', 'HLS'],
  ['mpd', 'MPD'],
] as const) {
  for (const [suffix, encryption] of [
    ['', 'NONE'],
    ['_cenc', 'CENC'],
    ['_wv', 'WIDEVINE'],
    ['_pr', 'PLAYREADY'],
  ] as const) {
    CODECS.set(name + suffix, { protocol, encryption, slot: contentSlot(protocol, encryption) });
  }
}

/** A–Z a–z 0–9 _ */
const WORD = new Uint8Array(128);
/** RFC 3986 pchar (unreserved, sub-delims, ":", "@", "%") plus "/". */
const PATH_CHAR = new Uint8Array(128);
{
  const word = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';
  for (const c of word) WORD[c.charCodeAt(0)] = 1;
  for (const c of `${word}-.~!$&'()*+,;=:@%/`) PATH_CHAR[c.charCodeAt(0)] = 1;
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function invalid(reason: string, kind?: RequestKind): InvalidRequest {
  return Object.freeze(kind ? { ok: false as const, reason, kind } : { ok: false as const, reason });
}

const UNKNOWN_PATH = invalid('unknown path');
const TOO_LONG = invalid('path too long');
const BAD = {
  live: { codec: invalid('bad codec', 'live'), resource: invalid('bad resource', 'live') },
  catchup: { codec: invalid('bad codec', 'catchup'), resource: invalid('bad resource', 'catchup') },
  vod: {
    empty: invalid('empty asset path', 'vod'),
    char: invalid('bad character in path', 'vod'),
    dots: invalid('dot segment in path', 'vod'),
  },
  static: {
    empty: invalid('empty asset path', 'static'),
    char: invalid('bad character in path', 'static'),
    dots: invalid('dot segment in path', 'static'),
  },
} as const;

function parseContent(path: string, at: number, kind: 'live' | 'catchup'): ParsedRequest {
  const slash = path.indexOf('/', at);
  if (slash < 0) return BAD[kind].codec;
  const codec = CODECS.get(path.slice(at, slash));
  if (!codec) return BAD[kind].codec;
  const n = path.length;
  const start = slash + 1;
  let i = start;
  while (i < n && WORD[path.charCodeAt(i)] === 1) i++;
  const end = i;
  if (end === start) return BAD[kind].resource;
  if (i < n) {
    if (path.charCodeAt(i) !== 46) return BAD[kind].resource;
    const extStart = ++i;
    while (i < n && WORD[path.charCodeAt(i)] === 1) i++;
    if (i === extStart || i !== n) return BAD[kind].resource;
  }
  return {
    ok: true,
    kind,
    protocol: codec.protocol,
    encryption: codec.encryption,
    slot: codec.slot,
    resource: path.slice(start, end),
  };
}

/** "." or ".." (dots possibly written %2e) in path[start, end)? */
function isDotSegment(path: string, start: number, end: number): boolean {
  let dots = 0;
  let i = start;
  while (i < end) {
    const c = path.charCodeAt(i);
    if (c === 46) i++;
    else if (c === 37 && path.charCodeAt(i + 1) === 50 && (path.charCodeAt(i + 2) | 32) === 101) i += 3;
    else return false;
    if (++dots > 2) return false;
  }
  return dots > 0;
}

function parseAsset(path: string, at: number, kind: 'vod' | 'static'): ParsedRequest {
  const n = path.length;
  if (n === at) return BAD[kind].empty;
  let segment = at;
  for (let i = at; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 47) {
      if (isDotSegment(path, segment, i)) return BAD[kind].dots;
      segment = i + 1;
      continue;
    }
    if (c >= 128 || PATH_CHAR[c] !== 1) return BAD[kind].char;
    if (c === 37 && !(isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2)))) return BAD[kind].char;
  }
  return { ok: true, kind, resource: path.slice(at), path };
}

/** Parse a raw request target (path + optional query) into what the client asks for. */
export function parseRequestPath(raw: string): ParsedRequest {
  let end = raw.indexOf('?');
  if (end < 0) end = raw.length;
  const hash = raw.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;
  if (end === 0 || raw.charCodeAt(0) !== 47) return UNKNOWN_PATH;
  if (end > MAX_PATH_LENGTH) return TOO_LONG;
  let path = end === raw.length ? raw : raw.slice(0, end);
  if (path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  if (path.startsWith('/btv/')) {
    if (path.startsWith('live/', 5)) return parseContent(path, 10, 'live');
    if (path.startsWith('catchup/', 5)) return parseContent(path, 13, 'catchup');
    return UNKNOWN_PATH;
  }
  if (path.startsWith('/vod/')) return parseAsset(path, 5, 'vod');
  if (path.startsWith('/static/')) return parseAsset(path, 8, 'static');
  return UNKNOWN_PATH;
}
