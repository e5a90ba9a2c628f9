// Which addresses a health probe may connect to (docs/security.md, "Health checks"). A MANAGER
// chooses an edge's host name, so without this rule a probe could be pointed at the cloud's
// metadata service (169.254.169.254 and friends) from inside the cluster's network.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address (the probe checks them all before connecting). */
export type ProbeLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: ProbeLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Metadata services that are not in a link-local range. */
const METADATA_ADDRESSES = new Set(['100.100.100.200', 'fd00:ec2::254']);

function ipv4Link(address: string): boolean {
  return /^169\.254\.\d+\.\d+$/.test(address) || METADATA_ADDRESSES.has(address);
}

/** 169.254.0.0/16, fe80::/10, IPv4-mapped forms of them, and known metadata addresses. */
export function isLinkLocalOrMetadata(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(bare) === 4) return ipv4Link(bare);
  if (isIP(bare) !== 6) return false;
  if (/^fe[89ab][0-9a-f]?:/.test(bare) || METADATA_ADDRESSES.has(bare)) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[1] !== undefined) return ipv4Link(mapped[1]);
  // ::ffff:a9fe:a9fe is 169.254.169.254 written in hex.
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (mappedHex?.[1] !== undefined && mappedHex[2] !== undefined) {
    const high = parseInt(mappedHex[1], 16);
    const low = parseInt(mappedHex[2], 16);
    return ipv4Link(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return false;
}

export class RefusedTargetError extends Error {
  constructor(readonly address: string) {
    super(`refused: ${address} is a link-local or metadata address`);
    this.name = 'RefusedTargetError';
  }
}
