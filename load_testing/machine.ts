// What the numbers were measured on: CPU, cores, memory, load, limits, and the versions of
// everything in the path (printed by `npm run bench`, saved with the results).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { HAZELCAST_JAR } from '../cluster/hazelcast/member.js';
import { FERRETDB_BIN } from '../persistence/ferretdb.js';

const run = promisify(execFile);

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  /** 1-minute load average when the info was taken. */
  loadAverage: number;
  /** RLIMIT_NOFILE (soft/hard) of this process. */
  openFilesLimit: string;
  node: string;
  hazelcast: string;
  ferretdb: string;
  nginx: string;
  java: string;
  autocannon: string;
}

async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 10_000 });
    return `${stdout}${stderr}`.trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: string };
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
    return text !== '' ? text : `unavailable (${e.code ?? 'error'})`;
  }
}

async function openFilesLimit(): Promise<string> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    return match === null ? 'unknown' : `${match[1]} soft / ${match[2]} hard`;
  } catch {
    return 'unknown';
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const [ferret, nginx, java, autocannonPkg, limit] = await Promise.all([
    output(process.env.FERRETDB_BIN ?? FERRETDB_BIN, ['--version']),
    output(process.env.NGINX_BIN ?? '/usr/sbin/nginx', ['-v']),
    output('java', ['-version']),
    readFile(new URL('../node_modules/autocannon/package.json', import.meta.url), 'utf8').catch(() => '{}'),
    openFilesLimit(),
  ]);
  const ferretVersion = /version:\s*(\S+)/.exec(ferret)?.[1] ?? ferret.split('\n')[0]!;
  const hazelcast = /hazelcast-([\d.]+)\.jar$/.exec(basename(HAZELCAST_JAR))?.[1] ?? basename(HAZELCAST_JAR);
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    openFilesLimit: limit,
    node: process.version,
    hazelcast: `${hazelcast} (member), hazelcast-client ${await packageVersion('hazelcast-client')}`,
    ferretdb: ferretVersion,
    nginx: /nginx\/(\S+)/.exec(nginx)?.[1] ?? nginx.split('\n')[0]!,
    java: java.split('\n')[0] ?? 'unknown',
    autocannon: (JSON.parse(autocannonPkg) as { version?: string }).version ?? 'unknown',
  };
}

async function packageVersion(name: string): Promise<string> {
  try {
    const text = await readFile(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineLines(info: MachineInfo): string[] {
  return [
    `machine: ${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, Linux ${info.kernel}, load ${info.loadAverage}, open files ${info.openFilesLimit}`,
    `versions: Node ${info.node}, Hazelcast ${info.hazelcast}, FerretDB ${info.ferretdb}, nginx ${info.nginx}, ${info.java}, autocannon ${info.autocannon}`,
  ];
}
