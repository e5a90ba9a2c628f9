// Launches a Hazelcast member (a JVM) for `npm start` and for tests: writes its XML config,
// spawns java, and resolves once the member says it is STARTED.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIPv4 } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { memberConfigXml, type MemberJoin } from './member-config.js';

export {
  DEFAULT_BACKUP_COUNT,
  MAP_MERGE_POLICY,
  memberConfigXml,
  TOPIC_RINGBUFFER_CAPACITY,
  TOPIC_RINGBUFFER_PREFIX,
  type MemberJoin,
} from './member-config.js';

/** The member jar installed by `bin/setup-infra.sh` (absolute path). */
export const HAZELCAST_JAR = fileURLToPath(new URL('../../.infra/hazelcast/hazelcast-5.6.0.jar', import.meta.url));

export interface HazelcastMemberOptions {
  jarPath: string;
  clusterName: string;
  port: number;
  /** Ports of the other members on the same host (TCP-IP join list). */
  peers?: number[];
  /** Overrides `peers`: a TCP-IP list of host:port on several hosts, or Kubernetes discovery. */
  join?: MemberJoin;
  /** The address the others reach this member at, when it differs from `host` (NAT). */
  publicAddress?: string;
  /** Synchronous backups of every map and ringbuffer (default 1). */
  backupCount?: number;
  /** JVM heap, e.g. `256m` (default 512m). */
  heap?: string;
  /** Where the config file goes; a temporary folder (removed on exit) when omitted. */
  dataDir?: string;
  /** Receives every line the member prints. */
  log?: (line: string) => void;
  /** Defaults to 127.0.0.1; the member binds to this address (or Hazelcast interface pattern) only. */
  host?: string;
  /** How long to wait for "is STARTED" (default 90 s). */
  startTimeoutMs?: number;
  /** Extra JVM flags, e.g. a different heap size. */
  jvmArgs?: string[];
  /** Log everything the member says at INFO (default: warnings, lifecycle and member list only). */
  verbose?: boolean;
  /** The java executable (default: $JAVA_HOME/bin/java, else java on PATH). */
  javaPath?: string;
}

export interface HazelcastMemberProcess {
  readonly port: number;
  readonly pid: number;
  /** Graceful shutdown (SIGTERM; SIGKILL after 25 s); resolves when the JVM is gone. */
  stop(): Promise<void>;
  /** SIGKILL, for crash tests. */
  kill(): void;
  /** Exit code, or null when ended by a signal. */
  readonly exited: Promise<number | null>;
}

const STOP_GRACE_MS = 25_000;

// java.util.logging setup: one line per record; by default only what an operator needs.
function loggingProperties(verbose: boolean): string {
  return [
    'handlers=java.util.logging.ConsoleHandler',
    'java.util.logging.ConsoleHandler.level=ALL',
    'java.util.logging.ConsoleHandler.formatter=java.util.logging.SimpleFormatter',
    'java.util.logging.SimpleFormatter.format=%1$tT %4$s %3$s - %5$s%6$s%n',
    `.level=${verbose ? 'INFO' : 'WARNING'}`,
    'com.hazelcast.core.LifecycleService.level=INFO',
    'com.hazelcast.internal.cluster.ClusterService.level=INFO',
    '',
  ].join('\n');
}
const OUTPUT_TAIL_LINES = 200;
const SUMMARY_LINES = 8;
const STACK_FRAME = /^\s+at |^\s*\.\.\. \d+ more/;

// Java 17 flags Hazelcast's own start script passes (otherwise it warns on every start).
const MODULE_FLAGS = [
  '--add-modules',
  'java.se',
  '--add-exports',
  'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang=ALL-UNNAMED',
  '--add-opens',
  'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens',
  'java.management/sun.management=ALL-UNNAMED',
  '--add-opens',
  'jdk.management/com.sun.management.internal=ALL-UNNAMED',
];

// Members still running when this process exits are killed, so no JVM outlives a test run.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  child.once('exit', () => running.delete(child));
}

function validate(opts: HazelcastMemberOptions): void {
  const validPort = (p: number): boolean => Number.isInteger(p) && p > 0 && p < 65536;
  if (!validPort(opts.port)) throw new Error(`Hazelcast member: invalid port ${String(opts.port)}`);
  for (const p of opts.peers ?? []) {
    if (!validPort(p)) throw new Error(`Hazelcast member: invalid peer port ${String(p)}`);
  }
  if (!/^[\w.-]+$/.test(opts.clusterName)) {
    throw new Error(`Hazelcast member: cluster name "${opts.clusterName}" may only hold letters, digits, '.', '_' and '-'`);
  }
  if (opts.heap !== undefined && !/^\d+[mg]$/.test(opts.heap)) {
    throw new Error(`Hazelcast member: heap must look like 256m or 1g, got "${opts.heap}"`);
  }
  if (!existsSync(opts.jarPath)) {
    throw new Error(`Hazelcast jar not found at ${opts.jarPath}: run \`npm run setup\` to install it`);
  }
}

export async function startHazelcastMember(opts: HazelcastMemberOptions): Promise<HazelcastMemberProcess> {
  validate(opts);
  const host = opts.host ?? '127.0.0.1';
  const ownDir = opts.dataDir === undefined;
  const dir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'beamstack-hz-')));
  if (!ownDir) await mkdir(dir, { recursive: true });
  const configPath = join(dir, `hazelcast-${opts.port}.xml`);
  const loggingPath = join(dir, `logging-${opts.port}.properties`);
  await writeFile(
    configPath,
    memberConfigXml({
      clusterName: opts.clusterName,
      port: opts.port,
      host,
      peers: opts.peers ?? [],
      ...(opts.join !== undefined ? { join: opts.join } : {}),
      ...(opts.publicAddress !== undefined ? { publicAddress: opts.publicAddress } : {}),
      ...(opts.backupCount !== undefined ? { backupCount: opts.backupCount } : {}),
    }),
  );
  await writeFile(loggingPath, loggingProperties(opts.verbose ?? false));

  const args = [
    '-Xms64m',
    `-Xmx${opts.heap ?? '512m'}`,
    '-XX:+UseSerialGC',
    ...MODULE_FLAGS,
    `-Dhazelcast.config=${configPath}`,
    // An exact address is bound as given: Java lists only one address per loopback interface
    // (127.0.0.1), so interface matching alone cannot find 127.0.0.11 or an alias address.
    ...(isIPv4(host) ? [`-Dhazelcast.local.localAddress=${host}`] : []),
    '-Dhazelcast.shutdownhook.policy=GRACEFUL',
    '-Dhazelcast.phone.home.enabled=false',
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.util.logging.config.file=${loggingPath}`,
    ...(opts.jvmArgs ?? []),
    '-cp',
    opts.jarPath,
    'com.hazelcast.core.server.HazelcastMemberStarter',
  ];
  const java = opts.javaPath ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  // Hazelcast reads HZ_* variables as config overrides: the node's HZ_MEMBERS etc. must not leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HZ_')));
  const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env });
  trackChild(child);

  const tail: string[] = [];
  let started = false;
  let onStarted: () => void = () => {};
  const startedSignal = new Promise<void>((resolve) => (onStarted = resolve));
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    opts.log?.(line);
    if (!started && /is STARTED/.test(line)) {
      started = true;
      onStarted();
    }
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);

  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  void exited.then(async () => {
    if (ownDir) await rm(dir, { recursive: true, force: true }).catch(() => {});
  });

  const describe = `Hazelcast member on ${host}:${opts.port}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    startedSignal.then(() => ({ kind: 'started' as const })),
    spawnError.then((error) => ({ kind: 'error' as const, error })),
    exited.then((code) => ({ kind: 'exited' as const, code })),
    new Promise<{ kind: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), startTimeoutMs);
    }),
  ]);
  clearTimeout(timer);

  if (outcome.kind !== 'started') {
    child.kill('SIGKILL');
    // Clean up before answering: a caller that exits right after the error leaves nothing behind.
    await exited;
    if (ownDir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    // Java's own words without the stack frames (the "Caused by" lines stay).
    const summary = tail.filter((line) => line.trim() !== '' && !STACK_FRAME.test(line)).slice(-SUMMARY_LINES);
    const output = summary.length > 0 ? `\n--- last output ---\n${summary.join('\n')}` : '';
    if (outcome.kind === 'error') {
      const missing = (outcome.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? `${describe}: java was not found (${java}); install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`
          : `${describe}: could not start java: ${outcome.error.message}`,
      );
    }
    if (outcome.kind === 'exited') {
      throw new Error(`${describe} exited (code ${String(outcome.code)}) before it started${output}`);
    }
    throw new Error(`${describe} did not start within ${startTimeoutMs} ms${output}`);
  }

  const pid = child.pid ?? -1;
  return {
    port: opts.port,
    pid,
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killTimer);
    },
  };
}
