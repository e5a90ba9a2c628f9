// Programme scheduling settings (docs/scheduling.md): EPG intake over FTP, DVR recordings
// over SOAP, cleanup. Read from the environment by domain/config.ts; a bad value stops the
// node naming the variable.
import { bool, ConfigError, int, read, type Env } from '../env-values.js';

export interface EpgFtpSettings {
  /** The URL without credentials (safe to log). */
  safeUrl: string;
  protocol: 'ftp' | 'ftps';
  host: string;
  port: number;
  user: string;
  password: string;
  /** Remote folder ('' = the login folder). */
  folder: string;
}

export interface SchedulingConfig {
  /** False: no job runs on this node (it never takes a singleton). */
  enabled: boolean;
  /** Off when EPG_FTP_URL is unset. */
  ftp?: EpgFtpSettings;
  ftpDelete: boolean;
  /** Holds inbox/, processed/, failed/ and the download temp folder. */
  epgDir: string;
  fetchIntervalMs: number;
  fetchBatch: number;
  importIntervalMs: number;
  minLeadS: number;
  scheduleIntervalMs: number;
  scheduleAheadS: number;
  statusIntervalMs: number;
  cleanupIntervalMs: number;
  recordsKeepMs: number;
  dvrUser: string;
  dvrPassword: string;
  dvrTimeoutMs: number;
}

/** `ftp://user:pass@host:21/folder` or `ftps://…` (explicit TLS). */
export function parseEpgFtpUrl(raw: string): EpgFtpSettings {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('EPG_FTP_URL', 'must be a URL like ftp://user:password@host:21/folder');
  }
  if (url.protocol !== 'ftp:' && url.protocol !== 'ftps:')
    throw new ConfigError('EPG_FTP_URL', `must start with ftp:// or ftps://, got ${url.protocol}//`);
  if (url.hostname === '') throw new ConfigError('EPG_FTP_URL', 'needs a host');
  if (url.search !== '' || url.hash !== '') throw new ConfigError('EPG_FTP_URL', 'must not have a query or fragment');
  const protocol = url.protocol === 'ftps:' ? 'ftps' : 'ftp';
  const port = url.port === '' ? 21 : Number(url.port);
  let folder: string;
  try {
    folder = decodeURIComponent(url.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
  } catch {
    throw new ConfigError('EPG_FTP_URL', 'the folder is not valid percent-encoding');
  }
  return {
    safeUrl: `${protocol}://${url.host}/${folder}`,
    protocol,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    user: url.username === '' ? 'anonymous' : decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    folder,
  };
}

export function loadSchedulingConfig(env: Env): SchedulingConfig {
  const ftpUrl = read(env, 'EPG_FTP_URL');
  const keepRaw = read(env, 'RECORDS_KEEP_HOURS');
  let keepHours = 48;
  if (keepRaw !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(keepRaw) || Number(keepRaw) <= 0 || Number(keepRaw) > 24 * 365) {
      throw new ConfigError('RECORDS_KEEP_HOURS', `must be a number of hours above 0 (fractions allowed), got "${keepRaw}"`);
    }
    keepHours = Number(keepRaw);
  }
  const dvrUser = read(env, 'DVR_USER') ?? '';
  const dvrPassword = env.DVR_PASSWORD ?? '';
  if (dvrPassword !== '' && dvrUser === '') throw new ConfigError('DVR_USER', 'is required when DVR_PASSWORD is set');
  if (dvrUser.includes(':')) throw new ConfigError('DVR_USER', 'must not contain ":" (HTTP Basic)');
  return {
    enabled: bool(env, 'SCHEDULING_ENABLED', true),
    ...(ftpUrl !== undefined ? { ftp: parseEpgFtpUrl(ftpUrl) } : {}),
    ftpDelete: bool(env, 'EPG_FTP_DELETE', false),
    epgDir: read(env, 'EPG_DIR') ?? 'data/epg',
    fetchIntervalMs: int(env, 'EPG_FETCH_INTERVAL_MS', 30_000, 100, 86_400_000),
    fetchBatch: int(env, 'EPG_FETCH_BATCH', 50, 1, 10_000),
    importIntervalMs: int(env, 'EPG_IMPORT_INTERVAL_MS', 500, 50, 3_600_000),
    minLeadS: int(env, 'EPG_MIN_LEAD_S', 1800, 0, 604_800),
    scheduleIntervalMs: int(env, 'DVR_SCHEDULE_INTERVAL_MS', 15_000, 100, 3_600_000),
    scheduleAheadS: int(env, 'DVR_SCHEDULE_AHEAD_S', 1200, 1, 604_800),
    statusIntervalMs: int(env, 'DVR_STATUS_INTERVAL_MS', 15_000, 100, 3_600_000),
    cleanupIntervalMs: int(env, 'CLEANUP_INTERVAL_MS', 30_000, 100, 86_400_000),
    recordsKeepMs: Math.round(keepHours * 3_600_000),
    dvrUser,
    dvrPassword,
    dvrTimeoutMs: int(env, 'DVR_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
