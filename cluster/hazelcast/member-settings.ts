// The settings of `npm run member` (bin/member.ts), read from the environment and checked
// before a JVM starts: a bad value names its variable (exit 2), and the network rules of
// docs/deployment.md ("Security on a network") are enforced here.
import { DEFAULTS } from '../../domain/config.js';
import { ConfigError, read, type Env } from '../../domain/env-values.js';
import { addressScope, publicListenAddresses } from '../../domain/network-address.js';
import { DEFAULT_BACKUP_COUNT, MAX_BACKUP_COUNT, type MemberJoin } from './member-config.js';

export const DEFAULT_MEMBER_PORT = 5701;
export const DEFAULT_MEMBER_HEAP = '512m';

export interface MemberSettings {
  clusterName: string;
  bindAddress: string;
  port: number;
  publicAddress?: string;
  join: MemberJoin;
  backupCount: number;
  heap: string;
  /** Where the generated config is written; a temporary folder when undefined. */
  configDir?: string;
  /** Things an operator should know, printed at start (e.g. a public bind address). */
  warnings: string[];
}

const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/;
// One IPv4 address, or a Hazelcast interface pattern (`10.0.*.*`, `10.0.1.10-20`).
const INTERFACE = /^(\d{1,3}|\*|\d{1,3}-\d{1,3})(\.(\d{1,3}|\*|\d{1,3}-\d{1,3})){3}$/;
const CLUSTER_NAME = /^[\w.-]{1,64}$/;
const DNS_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function port(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError(name, `must be a port (1-65535), got "${raw}"`);
  }
  return Number(raw);
}

function hostPortList(env: Env, name: string): string[] {
  const list = (read(env, name) ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (const entry of list) {
    const match = HOST_PORT.exec(entry);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new ConfigError(name, `"${entry}" is not host:port`);
    }
  }
  return list;
}

export function loadMemberSettings(env: Env = process.env): MemberSettings {
  const bindAddress = read(env, 'MEMBER_BIND_ADDRESS') ?? '127.0.0.1';
  if (!INTERFACE.test(bindAddress)) {
    throw new ConfigError(
      'MEMBER_BIND_ADDRESS',
      `must be one IPv4 address of this host (or a pattern like 10.0.*.*), got "${bindAddress}"`,
    );
  }
  const scope = addressScope(bindAddress);
  if (scope === 'any') {
    throw new ConfigError(
      'MEMBER_BIND_ADDRESS',
      'a member listens on one interface, never on all of them: give the private address of this host',
    );
  }
  const memberPort = port(env, 'MEMBER_PORT', DEFAULT_MEMBER_PORT);

  const clusterName = read(env, 'HZ_CLUSTER_NAME') ?? DEFAULTS.hzClusterName;
  if (!CLUSTER_NAME.test(clusterName)) {
    throw new ConfigError('HZ_CLUSTER_NAME', "may only hold letters, digits, '.', '_' and '-' (up to 64)");
  }
  // The cluster name is the only thing a stranger must guess to join an open-source member.
  if (scope !== 'loopback' && clusterName === DEFAULTS.hzClusterName) {
    throw new ConfigError(
      'HZ_CLUSTER_NAME',
      `must be a name of your own (not "${DEFAULTS.hzClusterName}") when MEMBER_BIND_ADDRESS is not a loopback address; set the same one on every member and node`,
    );
  }

  const publicAddress = read(env, 'MEMBER_PUBLIC_ADDRESS');
  if (publicAddress !== undefined && !HOST_PORT.test(publicAddress) && !/^[A-Za-z0-9.-]+$/.test(publicAddress)) {
    throw new ConfigError('MEMBER_PUBLIC_ADDRESS', `must be host or host:port, got "${publicAddress}"`);
  }

  const peers = hostPortList(env, 'MEMBER_PEERS');
  const serviceDns = read(env, 'MEMBER_KUBERNETES_SERVICE_DNS');
  let join: MemberJoin;
  if (serviceDns !== undefined) {
    if (peers.length > 0) throw new ConfigError('MEMBER_PEERS', 'set MEMBER_PEERS or MEMBER_KUBERNETES_SERVICE_DNS, not both');
    if (!DNS_NAME.test(serviceDns)) throw new ConfigError('MEMBER_KUBERNETES_SERVICE_DNS', `"${serviceDns}" is not a DNS name`);
    join = { kind: 'kubernetes', serviceDns, servicePort: memberPort };
  } else {
    const self = `${bindAddress}:${memberPort}`;
    join = { kind: 'tcp-ip', members: [self, ...peers.filter((p) => p !== self)] };
  }

  const rawBackups = read(env, 'MEMBER_BACKUP_COUNT');
  let backupCount = DEFAULT_BACKUP_COUNT;
  if (rawBackups !== undefined) {
    if (!/^\d$/.test(rawBackups) || Number(rawBackups) > MAX_BACKUP_COUNT) {
      throw new ConfigError('MEMBER_BACKUP_COUNT', `must be a whole number from 0 to ${MAX_BACKUP_COUNT}, got "${rawBackups}"`);
    }
    backupCount = Number(rawBackups);
  }

  const heap = read(env, 'MEMBER_HEAP') ?? DEFAULT_MEMBER_HEAP;
  if (!/^\d+[mg]$/.test(heap)) throw new ConfigError('MEMBER_HEAP', `must look like 256m or 1g, got "${heap}"`);

  const warnings: string[] = [];
  for (const exposed of publicListenAddresses(bindAddress)) {
    warnings.push(
      `MEMBER_BIND_ADDRESS ${exposed} is a public address: Hazelcast's open-source edition has no TLS and no member authentication, so anyone who reaches port ${memberPort} can read and change the cluster's data; bind to a private network (docs/deployment.md)`,
    );
  }
  if (backupCount === 0) warnings.push('MEMBER_BACKUP_COUNT=0: losing any member loses the entries it owned');

  const configDir = read(env, 'MEMBER_CONFIG_DIR');
  return {
    clusterName,
    bindAddress,
    port: memberPort,
    ...(publicAddress !== undefined ? { publicAddress } : {}),
    join,
    backupCount,
    heap,
    ...(configDir !== undefined ? { configDir } : {}),
    warnings,
  };
}
