// Node configuration read from the environment and validated at start. A bad value stops
// the node with a message naming the variable (ConfigError), never a stack trace.
import { hostname } from 'node:os';
import { parseGroupRoles, USERNAME_PLACEHOLDER, type GroupRole } from './auth/directory.js';
import { isCommonPassword } from './auth/password-policy.js';
import { loadSchedulingConfig, type SchedulingConfig } from './scheduling/config.js';
import { isLoopbackAddress } from './network-address.js';
import { secretWeakness } from './secret-strength.js';
import { loadSecurityConfig, type SecurityConfig } from './security-config.js';
import { bool, ConfigError, duration, int, read, type Env } from './env-values.js';

export { ConfigError } from './env-values.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface NodeConfig extends SecurityConfig {
  nodeName: string;
  /** HOST: where the client (redirect) port API_PORT listens; ADMIN_HOST is the admin port's. */
  host: string;
  port: number;
  apiPort: number;
  mongodbUrl: string;
  hzMembers: string[];
  hzClusterName: string;
  trustedProxies: string[];
  secretKeyBase: string;
  logLevel: LogLevel;
  tokenTtlMs: number;
  adminEmail?: string;
  adminPassword?: string;
  /** Where a generated first-ADMIN password is written (0600), docs/security.md. */
  bootstrapPasswordFile: string;
  heartbeatIntervalMs: number;
  nodeDownAfterMs: number;
  healthcheckIntervalMs: number;
  healthcheckFall: number;
  healthcheckRise: number;
  chatRequireAuth: boolean;
  videoZone?: string;
  videoScanIntervalMs: number;
  videoRetentionIntervalMs: number;
  /** Seconds a playback link stays valid (VIDEO_LINK_TTL_S). */
  videoLinkTtlS: number;
  /** Largest `PUT /api/v1/domain` body in MiB (DOMAIN_BODY_LIMIT_MB, docs/api.md). */
  domainBodyLimitMb: number;
  /** Unix socket for `npm run console`; empty disables it. */
  consoleSocket: string;
  /** Directory login (LDAP_URL set); see loadLdapConfig. */
  ldap?: LdapConfig;
  /** EPG intake and DVR recordings (docs/scheduling.md). */
  scheduling: SchedulingConfig;
}

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;
const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** PUT /api/v1/domain carries the whole model, ~240 bytes a record (DOMAIN_BODY_LIMIT_MB, docs/api.md). */
export const DEFAULT_DOMAIN_BODY_LIMIT_MB = 64;
/** A larger body would not fit in one V8 string, so it could not be parsed. */
export const MAX_DOMAIN_BODY_LIMIT_MB = 512;

export const DEFAULTS = {
  port: 4000,
  apiPort: 4001,
  mongodbUrl: 'mongodb://127.0.0.1:27017/beamstack',
  hzMembers: '127.0.0.1:5701',
  hzClusterName: 'beamstack',
  trustedProxies: '127.0.0.1/8,::1',
} as const;

/** What tools that only talk to the stores need (`npm run ctl`): no secret, no ports. */
export interface StoresConfig {
  mongodbUrl: string;
  hzMembers: string[];
  hzClusterName: string;
  heartbeatIntervalMs: number;
  nodeDownAfterMs: number;
}

export function loadStoresConfig(env: Env = process.env): StoresConfig {
  const mongodbUrl = read(env, 'MONGODB_URL') ?? DEFAULTS.mongodbUrl;
  if (!/^mongodb(\+srv)?:\/\/\S+$/.test(mongodbUrl)) {
    throw new ConfigError('MONGODB_URL', 'must be a mongodb:// or mongodb+srv:// URL');
  }

  const hzMembers = (read(env, 'HZ_MEMBERS') ?? DEFAULTS.hzMembers)
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (const member of hzMembers) {
    if (!HOST_PORT.test(member)) throw new ConfigError('HZ_MEMBERS', `"${member}" is not host:port`);
  }
  if (hzMembers.length === 0) throw new ConfigError('HZ_MEMBERS', 'needs at least one host:port');

  const heartbeatIntervalMs = int(env, 'HEARTBEAT_INTERVAL_MS', 2000, 100, 60_000);
  const nodeDownAfterMs = int(env, 'NODE_DOWN_AFTER_MS', 8000, 300, 300_000);
  // Hazelcast expires entries with a granularity of one second (an entry may go up to 1 s early).
  if (nodeDownAfterMs < heartbeatIntervalMs + 1000) {
    throw new ConfigError(
      'NODE_DOWN_AFTER_MS',
      `must be at least HEARTBEAT_INTERVAL_MS + 1000 (${heartbeatIntervalMs + 1000}), got ${nodeDownAfterMs}`,
    );
  }

  return {
    mongodbUrl,
    hzMembers,
    hzClusterName: read(env, 'HZ_CLUSTER_NAME') ?? DEFAULTS.hzClusterName,
    heartbeatIntervalMs,
    nodeDownAfterMs,
  };
}

/** Tokens are bearer secrets: past 24 h a stolen one lives too long (docs/security.md). */
const MAX_TOKEN_TTL_MS = 24 * 3_600_000;

function tokenTtl(env: Env): number {
  const ms = duration(env, 'TOKEN_TTL', 12 * 3_600_000);
  if (ms > MAX_TOKEN_TTL_MS) throw new ConfigError('TOKEN_TTL', `must be at most 24h, got ${env['TOKEN_TTL'] ?? ''}`);
  return ms;
}

export function loadConfig(env: Env = process.env): NodeConfig {
  const port = int(env, 'PORT', DEFAULTS.port, 1, 65535);
  const apiPort = int(env, 'API_PORT', DEFAULTS.apiPort, 1, 65535);
  if (port === apiPort) throw new ConfigError('API_PORT', `must differ from PORT (${port})`);

  const { mongodbUrl, hzMembers, hzClusterName, heartbeatIntervalMs, nodeDownAfterMs } = loadStoresConfig(env);

  const trustedProxies = (read(env, 'TRUSTED_PROXIES') ?? DEFAULTS.trustedProxies)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const proxy of trustedProxies) {
    if (!/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(proxy)) {
      throw new ConfigError('TRUSTED_PROXIES', `"${proxy}" is not an IP address or CIDR`);
    }
  }

  const host = read(env, 'HOST') ?? '127.0.0.1';
  const secretKeyBase = read(env, 'SECRET_KEY_BASE');
  if (secretKeyBase === undefined) {
    throw new ConfigError('SECRET_KEY_BASE', 'is required (any random string of 32+ characters; npm start makes one in data/)');
  }
  const security = loadSecurityConfig(env);
  // Development means a node only reachable from this machine (docs/deployment.md).
  const secretProblem = secretWeakness(secretKeyBase, isLoopbackAddress(host) && isLoopbackAddress(security.adminHost));
  if (secretProblem !== undefined) throw new ConfigError('SECRET_KEY_BASE', secretProblem);

  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const adminEmail = read(env, 'ADMIN_EMAIL');
  const adminPassword = read(env, 'ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(adminEmail ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL', 'ADMIN_EMAIL and ADMIN_PASSWORD are set together');
  }
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  if (adminPassword !== undefined && isCommonPassword(adminPassword)) {
    throw new ConfigError('ADMIN_PASSWORD', 'is one of the most common passwords; choose another');
  }

  const videoZone = read(env, 'VIDEO_ZONE');
  if (videoZone !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(videoZone)) {
    throw new ConfigError('VIDEO_ZONE', 'must be a zone name ([A-Za-z0-9_-], up to 64)');
  }

  const ldap = loadLdapConfig(env);

  return {
    nodeName: read(env, 'NODE_NAME') ?? `node-${port}@${hostname()}`,
    host,
    port,
    apiPort,
    mongodbUrl,
    hzMembers,
    hzClusterName,
    trustedProxies,
    secretKeyBase,
    logLevel,
    tokenTtlMs: tokenTtl(env),
    ...(adminEmail !== undefined && adminPassword !== undefined ? { adminEmail, adminPassword } : {}),
    bootstrapPasswordFile: read(env, 'BOOTSTRAP_PASSWORD_FILE') ?? 'data/bootstrap-admin-password',
    heartbeatIntervalMs,
    nodeDownAfterMs,
    healthcheckIntervalMs: int(env, 'HEALTHCHECK_INTERVAL_MS', 10_000, 100, 3_600_000),
    healthcheckFall: int(env, 'HEALTHCHECK_FALL', 2, 1, 100),
    healthcheckRise: int(env, 'HEALTHCHECK_RISE', 2, 1, 100),
    chatRequireAuth: bool(env, 'CHAT_REQUIRE_AUTH', false),
    ...(videoZone !== undefined ? { videoZone } : {}),
    videoScanIntervalMs: int(env, 'VIDEO_SCAN_INTERVAL_MS', 60_000, 100, 86_400_000),
    videoRetentionIntervalMs: int(env, 'VIDEO_RETENTION_INTERVAL_MS', 3_600_000, 100, 604_800_000),
    videoLinkTtlS: int(env, 'VIDEO_LINK_TTL_S', 3600, 1, 604_800),
    domainBodyLimitMb: int(env, 'DOMAIN_BODY_LIMIT_MB', DEFAULT_DOMAIN_BODY_LIMIT_MB, 1, MAX_DOMAIN_BODY_LIMIT_MB),
    // Set but empty means off (read() would treat it as unset).
    scheduling: loadSchedulingConfig(env),
    consoleSocket: env.CONSOLE_SOCKET?.trim() === '' ? '' : (read(env, 'CONSOLE_SOCKET') ?? `data/console-${port}.sock`),
    ...(ldap !== undefined ? { ldap } : {}),
    ...security,
  };
}

// ---- directory login (LDAP), docs/video.md "Directory login (LDAP)" ---------------------

/** How the node finds the DN to bind as. */
export type LdapBindMode =
  /** LDAP_BIND_DN: the DN is the template with the escaped username (e.g. AD's `{username}@corp`). */
  | { kind: 'template'; bindDnTemplate: string }
  /** LDAP_SEARCH_BASE + LDAP_SEARCH_FILTER: the service account finds the entry, then we bind as it. */
  | { kind: 'search'; searchBase: string; searchFilter: string; serviceDn: string; servicePassword: string };

export interface LdapConfig {
  url: string;
  mode: LdapBindMode;
  groupRoles: GroupRole[];
  /** Connect and per-operation timeout. */
  timeoutMs: number;
}

const LDAP_URL = /^ldaps?:\/\/(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/;
const LDAP_ONLY_VARIABLES = [
  'LDAP_BIND_DN',
  'LDAP_SEARCH_BASE',
  'LDAP_SEARCH_FILTER',
  'LDAP_SERVICE_DN',
  'LDAP_SERVICE_PASSWORD',
  'LDAP_GROUP_ROLES',
  'LDAP_TIMEOUT_MS',
];

/** undefined when LDAP_URL is not set (directory login off). */
export function loadLdapConfig(env: Env): LdapConfig | undefined {
  const url = read(env, 'LDAP_URL');
  if (url === undefined) {
    const stray = LDAP_ONLY_VARIABLES.find((name) => read(env, name) !== undefined);
    if (stray !== undefined) throw new ConfigError('LDAP_URL', `is required when ${stray} is set`);
    return undefined;
  }
  if (!LDAP_URL.test(url)) throw new ConfigError('LDAP_URL', `must be ldap://host[:port] or ldaps://host[:port], got "${url}"`);

  const bindDn = read(env, 'LDAP_BIND_DN');
  const searchBase = read(env, 'LDAP_SEARCH_BASE');
  let mode: LdapBindMode;
  if (bindDn !== undefined && searchBase !== undefined) {
    throw new ConfigError('LDAP_BIND_DN', 'set either LDAP_BIND_DN or LDAP_SEARCH_BASE, not both');
  }
  if (bindDn !== undefined) {
    if (!bindDn.includes(USERNAME_PLACEHOLDER)) throw new ConfigError('LDAP_BIND_DN', `must contain ${USERNAME_PLACEHOLDER}`);
    mode = { kind: 'template', bindDnTemplate: bindDn };
  } else if (searchBase !== undefined) {
    const searchFilter = read(env, 'LDAP_SEARCH_FILTER') ?? `(uid=${USERNAME_PLACEHOLDER})`;
    if (!searchFilter.includes(USERNAME_PLACEHOLDER) || !searchFilter.startsWith('(') || !searchFilter.endsWith(')')) {
      throw new ConfigError(
        'LDAP_SEARCH_FILTER',
        `must be a filter in parentheses containing ${USERNAME_PLACEHOLDER}, got "${searchFilter}"`,
      );
    }
    const serviceDn = read(env, 'LDAP_SERVICE_DN');
    // Not read(): a password may legitimately start or end with spaces.
    const servicePassword = env.LDAP_SERVICE_PASSWORD ?? '';
    if (serviceDn === undefined) throw new ConfigError('LDAP_SERVICE_DN', 'is required with LDAP_SEARCH_BASE');
    if (servicePassword === '') throw new ConfigError('LDAP_SERVICE_PASSWORD', 'is required with LDAP_SERVICE_DN');
    mode = { kind: 'search', searchBase, searchFilter, serviceDn, servicePassword };
  } else {
    throw new ConfigError('LDAP_BIND_DN', 'LDAP_URL needs LDAP_BIND_DN (a DN template) or LDAP_SEARCH_BASE (search then bind)');
  }

  const groupRolesText = read(env, 'LDAP_GROUP_ROLES');
  if (groupRolesText === undefined) throw new ConfigError('LDAP_GROUP_ROLES', 'is required with LDAP_URL (nobody could log in)');
  let groupRoles: GroupRole[];
  try {
    groupRoles = parseGroupRoles(groupRolesText);
  } catch (err) {
    throw new ConfigError('LDAP_GROUP_ROLES', (err as Error).message);
  }

  return { url, mode, groupRoles, timeoutMs: int(env, 'LDAP_TIMEOUT_MS', 5000, 100, 120_000) };
}
