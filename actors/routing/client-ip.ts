// Who is the client? The TCP peer, unless the peer is a trusted proxy (TRUSTED_PROXIES) that
// sent X-Real-IP. A header from any other peer is ignored, so nobody can pick a region by
// sending one. IPv4-mapped IPv6 peers (::ffff:1.2.3.4) count as IPv4.
//
// Decisions: an empty X-Real-IP (or only spaces) from a trusted proxy counts as absent (nginx
// never sends an empty header); a header that appears twice (Node joins it as "a, b") or
// that is not exactly one address → invalid (400). Surrounding spaces are trimmed.
import { cidrContains, parseCidr, parseIp, type Cidr, type IpAddress } from './ip.js';

export interface TrustedProxies {
  /** The entries as configured (for logs and explain). */
  readonly entries: readonly string[];
  contains(addr: IpAddress): boolean;
}

export type ClientIp =
  { readonly ok: true; readonly ip: IpAddress; readonly source: 'peer' | 'header' } | { readonly ok: false; readonly reason: string };

/** Compile a TRUSTED_PROXIES list (IPs or CIDRs); throws naming the bad entry. */
export function compileTrustedProxies(entries: readonly string[]): TrustedProxies {
  const cidrs: Cidr[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const cidr = parseCidr(entry, true);
    if (!cidr) throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR`);
    cidrs.push(cidr);
  }
  return {
    entries: [...entries],
    contains(addr: IpAddress): boolean {
      for (let i = 0; i < cidrs.length; i++) if (cidrContains(cidrs[i]!, addr)) return true;
      return false;
    },
  };
}

const NO_PEER: ClientIp = Object.freeze({ ok: false as const, reason: 'no peer address' });
const BAD_PEER: ClientIp = Object.freeze({ ok: false as const, reason: 'malformed peer address' });
const BAD_HEADER: ClientIp = Object.freeze({ ok: false as const, reason: 'malformed X-Real-IP' });

// Behind nginx every request comes from the same peer: remember the last one parsed.
let lastPeerText = '';
let lastPeerIp: IpAddress | null = null;

function parsePeer(peer: string): IpAddress | null {
  if (peer !== lastPeerText) {
    lastPeerIp = parseIp(peer);
    lastPeerText = peer;
  }
  return lastPeerIp;
}

function trimmed(value: string): string {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first === 32 || first === 9 || last === 32 || last === 9 ? value.trim() : value;
}

/**
 * @param peer the socket's remote address (may be undefined once the socket is gone)
 * @param realIp the X-Real-IP header value as Node gives it (string, or array if repeated)
 */
export function resolveClientIp(
  peer: string | undefined,
  realIp: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): ClientIp {
  if (peer === undefined || peer === '') return NO_PEER;
  const peerIp = parsePeer(peer);
  if (!peerIp) return BAD_PEER;
  if (realIp === undefined || !trusted.contains(peerIp)) return { ok: true, ip: peerIp, source: 'peer' };
  if (typeof realIp !== 'string') {
    if (realIp.length === 0) return { ok: true, ip: peerIp, source: 'peer' };
    if (realIp.length > 1) return BAD_HEADER;
    realIp = realIp[0]!;
  }
  const text = trimmed(realIp);
  if (text === '') return { ok: true, ip: peerIp, source: 'peer' };
  const ip = parseIp(text);
  return ip ? { ok: true, ip, source: 'header' } : BAD_HEADER;
}
