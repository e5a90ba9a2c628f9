// The agent's settings, from flags or the environment (flags win). Bad values are refused
// before anything runs, with a message naming the flag (exit 2).
import { parseArgs } from 'node:util';

export interface AgentOptions {
  /** Base URL of any Beamstack node, e.g. http://beamstack.example:4000 */
  server: string;
  zone: string;
  token: string;
  dir: string;
  /** Between passes (default 1 h, like the original client). */
  intervalMs: number;
  /** Two looks this far apart tell a finished file from one still being written. */
  settleMs: number;
  /** One pass, then exit (non-zero when a file failed). */
  once: boolean;
  /** Tries per file within a pass. */
  attempts: number;
  /** First backoff wait; doubles per retry up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** An upload with no progress this long fails (and is retried). */
  timeoutMs: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: npm run agent -- --server <url> --zone <name> --token <agent token> --dir <folder> [options]

Uploads the finished recordings of <folder> to the zone's storage node, at most at the zone's
uploadSpeedKbps, and remembers what it uploaded in <folder>/.beamstack-agent.json.

  --server <url>      a Beamstack node (env BEAMSTACK_SERVER)
  --zone <name>       the zone of this workstation (env VIDEO_AGENT_ZONE)
  --token <token>     the zone's agent token (env VIDEO_AGENT_TOKEN; prefer the env:
                      a flag is visible in the process list)
  --dir <folder>      the folder the recorder writes to (env VIDEO_AGENT_DIR)
  --interval <time>   between passes: 3600, 90s, 30m, 1h (env VIDEO_AGENT_INTERVAL; default 1h)
  --settle <time>     a file unchanged this long is finished (env VIDEO_AGENT_SETTLE; default 10s)
  --once              one pass, then exit (1 when a file could not be uploaded)
  --attempts <n>      tries per file and pass (default 5)
  --backoff <time>    first wait before a retry, doubling each time (default 2s, at most 5m)
  --timeout <time>    an upload without progress this long fails (default 60s)
  --help              this text`;

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(flag: string, text: string, minMs: number): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new UsageError(`${flag} must be a duration like 3600, 90s, 30m or 1h, got "${text}"`);
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  if (ms < minMs) throw new UsageError(`${flag} must be at least ${minMs} ms, got "${text}"`);
  return ms;
}

type Env = Record<string, string | undefined>;

/** undefined for --help. */
export function parseAgentOptions(argv: string[], env: Env = process.env): AgentOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        zone: { type: 'string' },
        token: { type: 'string' },
        dir: { type: 'string' },
        interval: { type: 'string' },
        settle: { type: 'string' },
        once: { type: 'boolean' },
        attempts: { type: 'string' },
        backoff: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return undefined;
  const pick = (flag: string, variable: string): string | undefined => {
    const value = (values[flag] as string | undefined) ?? env[variable];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const need = (flag: string, variable: string): string => {
    const value = pick(flag, variable);
    if (value === undefined) throw new UsageError(`--${flag} (or ${variable}) is required`);
    return value;
  };

  const server = need('server', 'BEAMSTACK_SERVER');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server must be an http:// or https:// URL, got "${server}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    throw new UsageError(`--server must be an http:// or https:// URL without credentials, got "${url.protocol}//${url.host}"`);
  }
  const zone = need('zone', 'VIDEO_AGENT_ZONE');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(zone)) throw new UsageError(`--zone must be a zone name ([A-Za-z0-9_-], up to 64), got "${zone}"`);
  const token = need('token', 'VIDEO_AGENT_TOKEN');
  if (/\s/.test(token)) throw new UsageError('--token must not contain spaces');
  const dir = need('dir', 'VIDEO_AGENT_DIR');
  const attemptsText = (values.attempts as string | undefined) ?? '5';
  if (!/^\d{1,3}$/.test(attemptsText) || Number(attemptsText) < 1)
    throw new UsageError(`--attempts must be a whole number from 1, got "${attemptsText}"`);

  return {
    server: url.origin,
    zone,
    token,
    dir,
    intervalMs: parseDuration('--interval', pick('interval', 'VIDEO_AGENT_INTERVAL') ?? '1h', 1000),
    settleMs: parseDuration('--settle', pick('settle', 'VIDEO_AGENT_SETTLE') ?? '10s', 0),
    once: values.once === true,
    attempts: Number(attemptsText),
    backoffMs: parseDuration('--backoff', (values.backoff as string | undefined) ?? '2s', 1),
    maxBackoffMs: 5 * 60_000,
    timeoutMs: parseDuration('--timeout', (values.timeout as string | undefined) ?? '60s', 100),
  };
}
