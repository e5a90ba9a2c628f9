// Classifies the addresses nodes and Hazelcast members listen on, for the network safety
// rules in docs/deployment.md ("Security on a network"): loopback means development, a
// private address is the expected production setting, a public one earns a warning.
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

export type AddressScope = 'loopback' | 'private' | 'public' | 'any';

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost']);

function ipv4Octets(address: string): number[] | undefined {
  if (!isIPv4(address)) return undefined;
  return address.split('.').map(Number);
}

/**
 * The scope of one address. Hazelcast interface patterns (`10.0.*.*`, `10.0.1.10-20`) are
 * judged by their fixed leading octets; host names other than localhost count as public
 * (what they resolve to is not known here).
 */
export function addressScope(address: string): AddressScope {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === '0.0.0.0' || bare === '::' || bare === '*') return 'any';
  if (LOOPBACK_NAMES.has(bare) || bare === '::1') return 'loopback';
  if (isIPv6(bare)) {
    if (/^f[cd]/.test(bare) || /^fe[89ab]/.test(bare)) return 'private';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
    return mapped?.[1] !== undefined ? addressScope(mapped[1]) : 'public';
  }
  // A Hazelcast pattern: keep the fixed octets, stand in 0 for wildcards and ranges.
  const asIp = bare
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? part : '0'))
    .join('.');
  const octets = ipv4Octets(asIp);
  if (octets === undefined) return 'public';
  const [a = 0, b = 0] = octets;
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'private'; // link-local
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT (RFC 6598)
  return 'public';
}

export function isLoopbackAddress(address: string): boolean {
  return addressScope(address) === 'loopback';
}

/**
 * The public addresses a listener on `address` is reachable at: the address itself when it
 * is public, or, for 0.0.0.0 / ::, every public address of this machine's interfaces.
 */
export function publicListenAddresses(
  address: string,
  interfaces: () => string[] = () => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((info) => info.address)),
): string[] {
  const scope = addressScope(address);
  if (scope === 'public') return [address];
  if (scope !== 'any') return [];
  return interfaces().filter((a) => addressScope(a) === 'public');
}
