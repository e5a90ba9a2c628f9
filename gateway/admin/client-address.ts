// The client behind an admin request, by the same trusted-proxy rule as the client port
// (actors/routing/client-ip.ts: X-Real-IP is believed only from TRUSTED_PROXIES peers, never
// X-Forwarded-For). For limits an IPv6 client is its /64: one subscriber usually holds a
// whole /64, so a key per address would give an attacker 2^64 fresh keys.
import type { FastifyRequest } from 'fastify';
import { compileTrustedProxies, resolveClientIp } from '../../actors/routing/client-ip.js';
import { formatCidr, formatIp, networkOf } from '../../domain/routing/ip.js';
import { BadRequestError } from '../shared/errors.js';

const IPV6_LIMIT_PREFIX = 64;

export type ClientKeyOf = (request: FastifyRequest) => string;

/** A function giving a request's client key (`192.0.2.1`, `2001:db8::/64`); 400 for a bad X-Real-IP. */
export function clientKeyResolver(trustedProxies: readonly string[]): ClientKeyOf {
  const trusted = compileTrustedProxies(trustedProxies);
  return (request) => {
    const client = resolveClientIp(request.raw.socket.remoteAddress, request.headers['x-real-ip'], trusted);
    if (!client.ok) throw new BadRequestError(`Cannot tell the client address: ${client.reason}.`);
    const { ip } = client;
    return ip.family === 4 ? formatIp(ip) : formatCidr({ family: 6, network: networkOf(ip, IPV6_LIMIT_PREFIX), prefix: IPV6_LIMIT_PREFIX });
  };
}
