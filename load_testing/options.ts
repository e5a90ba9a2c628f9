// Command-line options of `npm run load` and `npm run bench`. Pure: argv in, options or a
// clear OptionsError out (the option names are the seed's k6 ones: --vus, --rps, --duration).

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

export const HTTP_SCENARIOS = ['live', 'catchup', 'vod', 'requests'] as const;
export const SCENARIOS = [...HTTP_SCENARIOS, 'chat'] as const;
export type HttpScenario = (typeof HTTP_SCENARIOS)[number];
export type Scenario = (typeof SCENARIOS)[number];

export interface LoadOptions {
  scenario: Scenario;
  /** Connections (HTTP) or sockets (chat), like k6's virtual users. */
  vus: number;
  /** Fixed total rate (requests or chat messages per second); absent: as fast as possible (HTTP only). */
  rps?: number;
  durationMs: number;
  /** Client API base URL (HTTP scenarios) or the app port's base URL (chat; the first of `targets`). */
  target: string;
  /** Chat: every node's app-port URL (`--target a,b`); rooms get members on each. HTTP: just `target`. */
  targets: string[];
  /** Admin API base URL (fixture upload). */
  admin: string;
  token?: string;
  /** Upload the realistic fixture domain model before an HTTP run. */
  fixture: boolean;
  html?: string;
  json?: string;
  /** Chat rooms the sockets are spread over. */
  rooms: number;
  /** Seed of the fixture model and of the request mix. */
  seed: number;
  /** Request timeout in seconds. */
  timeoutS: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * k6-style durations: `40s`, `20m40s`, `1h30m`, `500ms`, or a plain number of seconds.
 * Throws OptionsError on anything else (or zero).
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const ms = Math.round(Number(trimmed) * 1000);
    if (ms <= 0) throw new OptionsError(`duration must be greater than zero, got "${text}"`);
    return ms;
  }
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let index = 0;
  let lastUnit = Number.POSITIVE_INFINITY;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (match === null) break;
    const unit = UNIT_MS[match[2]!]!;
    if (unit >= lastUnit) break; // 20s40m or 10s10s: units must go from large to small
    lastUnit = unit;
    total += Number(match[1]) * unit;
    index = part.lastIndex;
  }
  if (trimmed === '' || index !== trimmed.length) {
    throw new OptionsError(`duration must look like 40s, 20m40s, 1h30m, 500ms or a number of seconds, got "${text}"`);
  }
  if (total <= 0) throw new OptionsError(`duration must be greater than zero, got "${text}"`);
  return Math.round(total);
}

/** `2h0m5s`-style text of a duration, for reports. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

function positiveInt(name: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new OptionsError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < 1 || value > max) throw new OptionsError(`--${name} must be between 1 and ${max}, got ${value}`);
  return value;
}

function baseUrl(name: string, raw: string, schemes: string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionsError(`--${name} must be a URL like http://127.0.0.1:4001, got "${raw}"`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new OptionsError(`--${name} must use ${schemes.map((s) => s.replace(':', '')).join(' or ')}, got "${raw}"`);
  }
  if (url.search !== '' || url.hash !== '') throw new OptionsError(`--${name} must not have a query or fragment, got "${raw}"`);
  return url.toString().replace(/\/+$/, '');
}

interface OptionSpec {
  takesValue: boolean;
  help: string;
}

const LOAD_OPTIONS: Record<string, OptionSpec> = {
  vus: { takesValue: true, help: 'connections (HTTP) or sockets (chat); default 100' },
  rps: { takesValue: true, help: 'fixed total rate per second; default: closed loop, as fast as possible (chat: 1 per socket)' },
  duration: { takesValue: true, help: 'e.g. 40s, 20m40s; default 30s' },
  target: {
    takesValue: true,
    help: 'client API URL (default http://127.0.0.1:4001); chat: app-port URLs, comma-separated (default --admin)',
  },
  admin: { takesValue: true, help: 'admin API URL for the fixture upload (default http://127.0.0.1:4000)' },
  token: {
    takesValue: true,
    help: 'admin bearer token (better: LOAD_TOKEN, which npm does not echo; else ADMIN_EMAIL/ADMIN_PASSWORD log in)',
  },
  'no-fixture': { takesValue: false, help: 'do not upload the fixture domain model first' },
  html: { takesValue: true, help: 'also write an HTML report with latency charts here' },
  json: { takesValue: true, help: 'write the JSON report here (default test-output/load/<scenario>-<time>.json)' },
  rooms: { takesValue: true, help: 'chat rooms (default 20)' },
  seed: { takesValue: true, help: 'seed of the fixture and the request mix (default 1)' },
  timeout: { takesValue: true, help: 'request timeout in seconds (default 10)' },
};

export const LOAD_USAGE = [
  'usage: npm run load -- <live|catchup|vod|requests|chat> [options]',
  ...Object.entries(LOAD_OPTIONS).map(([name, spec]) => `  --${name}${spec.takesValue ? ' <value>' : ''}`.padEnd(24) + spec.help),
].join('\n');

/** Splits `--name value` / `--name=value` pairs; positional arguments are returned apart. */
function splitArgs(argv: string[], known: Record<string, OptionSpec>): { positional: string[]; values: Map<string, string> } {
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = known[name];
    if (spec === undefined) {
      throw new OptionsError(
        `unknown option --${name}; known options: ${Object.keys(known)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
    }
    if (values.has(name)) throw new OptionsError(`--${name} given twice`);
    if (!spec.takesValue) {
      if (eq !== -1) throw new OptionsError(`--${name} takes no value`);
      values.set(name, '');
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new OptionsError(`--${name} needs a value`);
      i++;
    }
    if (value.trim() === '') throw new OptionsError(`--${name} needs a value`);
    values.set(name, value);
  }
  return { positional, values };
}

export function parseLoadArgs(argv: string[], env: Record<string, string | undefined> = {}): LoadOptions {
  const { positional, values } = splitArgs(argv, LOAD_OPTIONS);
  if (positional.length === 0) throw new OptionsError(`a scenario is required: ${SCENARIOS.join(', ')}`);
  if (positional.length > 1) throw new OptionsError(`one scenario at a time, got: ${positional.join(' ')}`);
  const scenario = positional[0]! as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new OptionsError(`unknown scenario "${positional[0]}"; use one of ${SCENARIOS.join(', ')}`);
  const chat = scenario === 'chat';
  const get = (name: string): string | undefined => values.get(name);

  const admin = baseUrl('admin', get('admin') ?? env.LOAD_ADMIN ?? 'http://127.0.0.1:4000', ['http:', 'https:']);
  const rawTargets = (get('target') ?? (chat ? admin : 'http://127.0.0.1:4001')).split(',').map((t) => t.trim());
  if (!chat && rawTargets.length > 1)
    throw new OptionsError('--target takes one URL for HTTP scenarios (put nginx in front to spread over nodes)');
  const targets = rawTargets.map((t) => baseUrl('target', t, chat ? ['http:', 'https:', 'ws:', 'wss:'] : ['http:', 'https:']));
  const target = targets[0]!;
  const rps = get('rps') === undefined ? undefined : positiveInt('rps', get('rps')!, 1_000_000);
  const token = get('token') ?? (env.LOAD_TOKEN !== undefined && env.LOAD_TOKEN !== '' ? env.LOAD_TOKEN : undefined);
  const html = get('html');
  const json = get('json');
  return {
    scenario,
    vus: get('vus') === undefined ? 100 : positiveInt('vus', get('vus')!, 100_000),
    ...(rps !== undefined ? { rps } : {}),
    durationMs: parseDurationOption(get('duration') ?? '30s'),
    target,
    targets,
    admin,
    ...(token !== undefined ? { token } : {}),
    fixture: !values.has('no-fixture') && !chat,
    ...(html !== undefined ? { html } : {}),
    ...(json !== undefined ? { json } : {}),
    rooms: get('rooms') === undefined ? 20 : positiveInt('rooms', get('rooms')!, 10_000),
    seed: get('seed') === undefined ? 1 : positiveInt('seed', get('seed')!, 2 ** 31),
    timeoutS: get('timeout') === undefined ? 10 : positiveInt('timeout', get('timeout')!, 600),
  };
}

function parseDurationOption(raw: string): number {
  try {
    return parseDuration(raw);
  } catch (error) {
    throw new OptionsError(`--${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------- bench

export const BENCHMARK_IDS = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9'] as const;
export type BenchmarkId = (typeof BENCHMARK_IDS)[number];

export interface BenchOptions {
  /** In suite order; all of them when none was named. */
  benchmarks: BenchmarkId[];
  /** Shorter durations and smaller sizes, for a smoke run. */
  quick: boolean;
  /** Folder of the JSON results. */
  outDir: string;
  /** B6: about this many records instead of ~113 000 (the 1 000 000-record stretch). */
  b6Records?: number;
}

const BENCH_OPTIONS: Record<string, OptionSpec> = {
  quick: { takesValue: false, help: 'shorter durations (smoke run)' },
  out: { takesValue: true, help: 'folder for the JSON results (default test-output/bench)' },
  'b6-records': { takesValue: true, help: 'B6 model size in records (default ~113 000; the stretch: 1000000)' },
};

export const BENCH_USAGE = [
  `usage: npm run bench -- [${BENCHMARK_IDS.join(' ')}] [options]`,
  ...Object.entries(BENCH_OPTIONS).map(([name, spec]) => `  --${name}${spec.takesValue ? ' <value>' : ''}`.padEnd(24) + spec.help),
].join('\n');

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { positional, values } = splitArgs(argv, BENCH_OPTIONS);
  const chosen = new Set<BenchmarkId>();
  for (const raw of positional) {
    const id = raw.toUpperCase() as BenchmarkId;
    if (!BENCHMARK_IDS.includes(id)) throw new OptionsError(`unknown benchmark "${raw}"; use any of ${BENCHMARK_IDS.join(' ')}`);
    chosen.add(id);
  }
  return {
    benchmarks: chosen.size === 0 ? [...BENCHMARK_IDS] : BENCHMARK_IDS.filter((id) => chosen.has(id)),
    quick: values.has('quick'),
    outDir: values.get('out') ?? 'test-output/bench',
    ...(values.has('b6-records') ? { b6Records: positiveInt('b6-records', values.get('b6-records')!, 10_000_000) } : {}),
  };
}
