// The filters of the edge choice and the encryption fallback, in one place so the routing
// view (which precomputes them) and explain (which reports them) can never disagree.
import type { Encryption, Region, Server, ServerGroup } from '../../domain/routing/entities.js';

/** Why a subnet's region yields no groups, or undefined when it is usable. */
export function regionExclusion(region: Region | undefined): string | undefined {
  if (!region) return 'region does not exist';
  if (region.status !== 'ACTIVE') return `region is ${region.status}`;
  return undefined;
}

export function groupExclusion(group: ServerGroup | undefined): string | undefined {
  if (!group) return 'server group does not exist';
  if (group.status !== 'ACTIVE') return `server group is ${group.status}`;
  return undefined;
}

/** EDGE, ACTIVE and available; healthcheckEnabled is deliberately not a filter. */
export function edgeExclusion(server: Server | undefined): string | undefined {
  if (!server) return 'server does not exist';
  if (server.type !== 'EDGE') return `type is ${server.type}, not EDGE`;
  if (server.status !== 'ACTIVE') return `status is ${server.status}`;
  if (server.availability === false) return 'unavailable (health check)';
  return undefined;
}

/** NONE and CENC need an exact match; WIDEVINE and PLAYREADY fall back to CENC. */
export const ENCRYPTION_FALLBACK: Readonly<Record<Encryption, Encryption | null>> = {
  NONE: null,
  CENC: null,
  WIDEVINE: 'CENC',
  PLAYREADY: 'CENC',
};
