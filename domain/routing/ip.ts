// IP addresses and CIDRs in a compact numeric form: four unsigned 32-bit words, most
// significant first. IPv4 uses only `w3` (w0..w2 = 0). Parsing is hand-written (no regex,
// no allocation beyond the result) because it runs once per client request.
// It lives in domain/ because subnet validation needs it; actors/routing re-exports it.

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
}

export interface Cidr {
  readonly family: IpFamily;
  /** Network address: host bits cleared. */
  readonly network: IpAddress;
  readonly prefix: number;
}

// Scratch space for IPv6 groups; safe because JS runs one parse at a time.
const groups = new Int32Array(8);

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Dotted quad in s[start, end) → uint32, or -1. Leading zeros are refused (octal ambiguity). */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const partStart = i;
    let part = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      part = part * 10 + (c - 48);
      i++;
      if (i - partStart > 3) return -1;
    }
    const len = i - partStart;
    if (len === 0 || part > 255) return -1;
    if (len > 1 && s.charCodeAt(partStart) === 48) return -1;
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function v4(value: number): IpAddress {
  return { family: 4, w0: 0, w1: 0, w2: 0, w3: value >>> 0 };
}

/** IPv6 text in s[start, end) → words, or null. IPv4-mapped addresses come back as IPv4. */
function parseV6(s: string, start: number, end: number): IpAddress | null {
  let count = 0;
  let gap = -1; // index in `groups` where "::" stands
  let i = start;
  if (end - start < 2) return null;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return null;
    gap = 0;
    i += 2;
    if (i === end) return { family: 6, w0: 0, w1: 0, w2: 0, w3: 0 };
  }
  while (i < end) {
    if (count >= 8) return null;
    const groupStart = i;
    let value = 0;
    while (i < end) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    const len = i - groupStart;
    if (i < end && s.charCodeAt(i) === 46) {
      // Trailing embedded IPv4 (e.g. ::ffff:1.2.3.4) fills the last two groups.
      if (count > 6) return null;
      const quad = parseV4(s, groupStart, end);
      if (quad < 0) return null;
      groups[count++] = quad >>> 16;
      groups[count++] = quad & 0xffff;
      i = end;
      break;
    }
    if (len === 0 || len > 4) return null;
    groups[count++] = value;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return null;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = count;
      i++;
    } else if (i === end) {
      return null; // a single trailing ':'
    }
  }
  if (gap >= 0) {
    if (count > 7) return null;
    const move = count - gap;
    const shift = 8 - count;
    for (let k = move - 1; k >= 0; k--) groups[gap + shift + k] = groups[gap + k]!;
    for (let k = 0; k < shift; k++) groups[gap + k] = 0;
  } else if (count !== 8) {
    return null;
  }
  const w0 = ((groups[0]! << 16) | groups[1]!) >>> 0;
  const w1 = ((groups[2]! << 16) | groups[3]!) >>> 0;
  const w2 = ((groups[4]! << 16) | groups[5]!) >>> 0;
  const w3 = ((groups[6]! << 16) | groups[7]!) >>> 0;
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return v4(w3);
  return { family: 6, w0, w1, w2, w3 };
}

function parseRange(s: string, start: number, end: number): IpAddress | null {
  if (end - start > 64 || end <= start) return null;
  let colon = false;
  let zone = end;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colon = true;
    else if (c === 37) {
      zone = i; // "%eth0": the zone does not matter for subnet matching
      break;
    }
  }
  if (!colon) {
    if (zone !== end) return null;
    const value = parseV4(s, start, end);
    return value < 0 ? null : v4(value);
  }
  if (zone !== end && zone === end - 1) return null;
  return parseV6(s, start, zone);
}

/** Parse an IPv4 or IPv6 address (no surrounding spaces, no brackets, no port); null if malformed. */
export function parseIp(text: string): IpAddress | null {
  return parseRange(text, 0, text.length);
}

/** 32-bit mask for `bits` leading ones (0..32). */
export function maskBits(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

function wordMask(prefix: number, wordIndex: number): number {
  return maskBits(prefix - wordIndex * 32);
}

/** Clear the host bits of `addr` beyond `prefix` (prefix counts from the family's width). */
export function networkOf(addr: IpAddress, prefix: number): IpAddress {
  if (addr.family === 4) return v4((addr.w3 & maskBits(prefix)) >>> 0);
  return {
    family: 6,
    w0: (addr.w0 & wordMask(prefix, 0)) >>> 0,
    w1: (addr.w1 & wordMask(prefix, 1)) >>> 0,
    w2: (addr.w2 & wordMask(prefix, 2)) >>> 0,
    w3: (addr.w3 & wordMask(prefix, 3)) >>> 0,
  };
}

function parsePrefix(s: string, start: number, end: number): number {
  if (end <= start || end - start > 3) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * Parse `address/prefix` (prefix 0..32 for IPv4, 0..128 for IPv6). Host bits are ignored.
 * An IPv4-mapped IPv6 CIDR with prefix >= 96 becomes the IPv4 CIDR it describes, because
 * mapped client addresses are matched as IPv4. With `allowBareAddress`, a lone address is
 * a /32 or /128.
 */
export function parseCidr(text: string, allowBareAddress = false): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (!allowBareAddress) return null;
    const addr = parseIp(text);
    return addr ? { family: addr.family, network: addr, prefix: addr.family === 4 ? 32 : 128 } : null;
  }
  let prefix = parsePrefix(text, slash + 1, text.length);
  if (prefix < 0) return null;
  const addr = parseRange(text, 0, slash);
  if (!addr) return null;
  const textIsV6 = text.lastIndexOf(':', slash) >= 0;
  if (addr.family === 4 && textIsV6) {
    // "::ffff:a.b.c.d/n" — only meaningful as IPv4 when the prefix covers the ::ffff part.
    if (prefix > 128 || prefix < 96) return null;
    prefix -= 96;
  }
  const max = addr.family === 4 ? 32 : 128;
  if (prefix > max) return null;
  return { family: addr.family, network: networkOf(addr, prefix), prefix };
}

/** Does `cidr` contain `addr`? Different families never match. */
export function cidrContains(cidr: Cidr, addr: IpAddress): boolean {
  if (cidr.family !== addr.family) return false;
  const n = cidr.network;
  const p = cidr.prefix;
  if (cidr.family === 4) return (addr.w3 & maskBits(p)) >>> 0 === n.w3;
  return (
    (addr.w0 & wordMask(p, 0)) >>> 0 === n.w0 &&
    (addr.w1 & wordMask(p, 1)) >>> 0 === n.w1 &&
    (addr.w2 & wordMask(p, 2)) >>> 0 === n.w2 &&
    (addr.w3 & wordMask(p, 3)) >>> 0 === n.w3
  );
}

/** Word `index` (0..3) of an address, without allocating an array. */
export function wordAt(addr: IpAddress, index: number): number {
  switch (index) {
    case 0:
      return addr.w0;
    case 1:
      return addr.w1;
    case 2:
      return addr.w2;
    default:
      return addr.w3;
  }
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
export function formatIp(addr: IpAddress): string {
  if (addr.family === 4) {
    const w = addr.w3;
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
  }
  const parts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = wordAt(addr, i);
    parts.push(w >>> 16, w & 0xffff);
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    parts
      .slice(from, to)
      .map((p) => p.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Canonical CIDR text (network address + prefix), used for uniqueness and display. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network)}/${cidr.prefix}`;
}
