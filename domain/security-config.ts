// Exposure, abuse and shutdown settings of a node (docs/security.md, docs/operations.md).
// Read from the environment by domain/config.ts; a bad value stops the node naming the variable.
import { bool, ConfigError, int, read, type Env } from './env-values.js';

export interface SecurityConfig {
  /** ADMIN_HOST: where the admin/app port (PORT) listens; loopback unless the admin API must be reachable. */
  adminHost: string;
  /** METRICS_TOKEN: a Prometheus scraper's bearer token for /metrics (an API token works too). */
  metricsToken?: string;
  /** SHUTDOWN_DRAIN_MS: not ready but still serving (with Connection: close) this long before closing. */
  shutdownDrainMs: number;
  /** HEALTHCHECK_ALLOW_LINK_LOCAL: health checks may reach link-local (cloud metadata) addresses. */
  healthcheckAllowLinkLocal: boolean;
  /** CHAT_ALLOWED_ORIGINS: browser origins allowed to open a chat socket; empty = the node's own origin only. */
  chatAllowedOrigins: string[] | '*';
  /** CHAT_MAX_SOCKETS: open chat sockets on this node at most. */
  chatMaxSockets: number;
  /** CHAT_MAX_SOCKETS_PER_CLIENT: open chat sockets per client address at most. */
  chatMaxSocketsPerClient: number;
  /** CHAT_HISTORY_DAYS: messages older than this are deleted; 0 keeps them forever. */
  chatHistoryDays: number;
  /** CHAT_RETENTION_INTERVAL_MS: how often the retention singleton runs. */
  chatRetentionIntervalMs: number;
}

function origins(env: Env): string[] | '*' {
  const raw = read(env, 'CHAT_ALLOWED_ORIGINS');
  if (raw === undefined) return [];
  if (raw === '*') return '*';
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      let origin: string;
      try {
        origin = new URL(entry).origin;
      } catch {
        origin = 'null';
      }
      if (origin === 'null' || origin !== entry.replace(/\/$/, '').toLowerCase()) {
        throw new ConfigError('CHAT_ALLOWED_ORIGINS', `"${entry}" is not an origin like https://chat.example.com[:port]`);
      }
      return origin;
    });
}

export function loadSecurityConfig(env: Env): SecurityConfig {
  const metricsToken = read(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 32) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 32 characters (openssl rand -base64 32)');
  }
  const chatMaxSockets = int(env, 'CHAT_MAX_SOCKETS', 10_000, 1, 1_000_000);
  return {
    adminHost: read(env, 'ADMIN_HOST') ?? '127.0.0.1',
    ...(metricsToken !== undefined ? { metricsToken } : {}),
    shutdownDrainMs: int(env, 'SHUTDOWN_DRAIN_MS', 5000, 0, 60_000),
    healthcheckAllowLinkLocal: bool(env, 'HEALTHCHECK_ALLOW_LINK_LOCAL', false),
    chatAllowedOrigins: origins(env),
    chatMaxSockets,
    chatMaxSocketsPerClient: int(env, 'CHAT_MAX_SOCKETS_PER_CLIENT', 50, 1, chatMaxSockets),
    chatHistoryDays: int(env, 'CHAT_HISTORY_DAYS', 90, 0, 36_500),
    chatRetentionIntervalMs: int(env, 'CHAT_RETENTION_INTERVAL_MS', 3_600_000, 100, 604_800_000),
  };
}
