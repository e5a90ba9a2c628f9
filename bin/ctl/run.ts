// The ctl command line: parses arguments, runs one command, maps failures to exit codes
// (0 done, 1 the operation failed — the message says why, 2 wrong usage or configuration).
import { parseArgs } from 'node:util';
import { ConfigError } from '../../domain/config.js';
import { credentialsFrom, parseNodeUrl } from './admin-client.js';
import { CtlError, UsageError, messageOf, type Output } from './cli.js';
import { migrate } from './migrate.js';
import { listNodes } from './nodes.js';
import { rejoin } from './rejoin.js';

export const USAGE = `usage: npm run ctl -- <command> [options]

commands:
  migrate                  apply the database migrations to MONGODB_URL and print what was applied
      --timeout <s>        how long to wait for MongoDB (default 30)
  nodes                    list the live nodes
      --node <url>         ask this node's admin API (default http://127.0.0.1:$PORT, PORT=4000)
      --token <token>      an admin API token (else ADMIN_EMAIL + ADMIN_PASSWORD log in)
      --direct             read the cluster store (HZ_MEMBERS, HZ_CLUSTER_NAME) instead;
                           also used when no credentials are given
      --json               print JSON
  rejoin                   start a cluster rejoin (ADMIN) and print the job
      --node <url>, --token <token>   as for nodes (credentials required)
      --wait               follow the job until it finished
      --timeout <s>        how long --wait waits (default 300)
  help                     this text

options for every command: -v/--verbose (more progress lines), -h/--help`;

const OPTIONS = {
  node: { type: 'string' },
  token: { type: 'string' },
  direct: { type: 'boolean' },
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, Array<keyof typeof OPTIONS>> = {
  migrate: ['timeout', 'verbose', 'help'],
  nodes: ['node', 'token', 'direct', 'json', 'verbose', 'help'],
  rejoin: ['node', 'token', 'wait', 'timeout', 'verbose', 'help'],
  help: ['help'],
};

function seconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback * 1000;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 86_400) {
    throw new UsageError(`--timeout must be a whole number of seconds (1-86400), got "${raw}"`);
  }
  return Number(raw) * 1000;
}

/** Runs `npm run ctl -- <argv>`; resolves with the exit code. */
export async function runCtl(argv: string[], env: Record<string, string | undefined>, output: Output): Promise<number> {
  try {
    const { values, positionals } = (() => {
      try {
        return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
      } catch (err) {
        throw new UsageError(messageOf(err));
      }
    })();
    const command = positionals[0];
    if (command === undefined) {
      if (values.help) {
        output.out(USAGE);
        return 0;
      }
      throw new UsageError('no command given');
    }
    const allowed = ALLOWED[command];
    if (allowed === undefined) throw new UsageError(`unknown command "${command}"`);
    if (values.help || command === 'help') {
      output.out(USAGE);
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && !allowed.includes(name as keyof typeof OPTIONS)) {
        throw new UsageError(`--${name} does not apply to "${command}"`);
      }
    }

    const verbose = values.verbose ?? false;
    const nodeUrl = (): string => parseNodeUrl(values.node ?? `http://127.0.0.1:${env.PORT?.trim() || '4000'}`);
    const credentials = credentialsFrom(values.token, env);

    switch (command) {
      case 'migrate':
        await migrate({ env, output, timeoutMs: seconds(values.timeout, 30), verbose });
        return 0;
      case 'nodes': {
        if (values.node !== undefined) nodeUrl(); // a bad URL is a usage error whatever the path
        if (values.direct && (values.node !== undefined || values.token !== undefined)) {
          throw new UsageError('--direct reads the cluster store: --node and --token do not apply');
        }
        if (values.node !== undefined && credentials === undefined) {
          throw new UsageError('--node needs credentials: set ADMIN_EMAIL and ADMIN_PASSWORD, or pass --token');
        }
        const viaApi = !values.direct && credentials !== undefined;
        if (!values.direct && credentials === undefined) {
          output.err('ctl: no credentials (ADMIN_EMAIL + ADMIN_PASSWORD, or --token): reading the cluster store at HZ_MEMBERS');
        }
        await listNodes({
          env,
          output,
          json: values.json ?? false,
          verbose,
          ...(viaApi ? { via: { baseUrl: nodeUrl(), credentials: credentials } } : {}),
        });
        return 0;
      }
      case 'rejoin':
        if (credentials === undefined) {
          throw new UsageError('rejoin needs an ADMIN: set ADMIN_EMAIL and ADMIN_PASSWORD, or pass --token');
        }
        await rejoin({ baseUrl: nodeUrl(), credentials, output, wait: values.wait ?? false, timeoutMs: seconds(values.timeout, 300) });
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      output.err(`ctl: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      output.err(`configuration error: ${err.message}`);
      return 2;
    }
    output.err(`ctl: ${err instanceof CtlError ? err.message : messageOf(err)}`);
    return 1;
  }
}
