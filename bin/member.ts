// `npm run member`: one Hazelcast member of a Beamstack cluster, configured by the
// environment (MEMBER_* and HZ_CLUSTER_NAME, see .env.example and docs/deployment.md), for
// running one member per host by hand, under systemd, or in the member image of deploy/.
// `npm run member -- --print-config` prints the generated Hazelcast XML and exits.
import { parseArgs } from 'node:util';
import { HAZELCAST_JAR, memberConfigXml, startHazelcastMember, type HazelcastMemberProcess } from '../cluster/hazelcast/member.js';
import { loadMemberSettings, type MemberSettings } from '../cluster/hazelcast/member-settings.js';
import { ConfigError } from '../domain/config.js';

const USAGE = 'usage: npm run member [-- --print-config]';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const { values } = (() => {
  try {
    return parseArgs({ options: { 'print-config': { type: 'boolean' } }, strict: true });
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, 2);
  }
})();

let settings: MemberSettings;
try {
  settings = loadMemberSettings();
} catch (error) {
  if (error instanceof ConfigError) fail(`configuration error: ${error.message}`, 2);
  throw error;
}

const say = (line: string): void => {
  process.stdout.write(`[member] ${line}\n`);
};

if (values['print-config']) {
  process.stdout.write(
    memberConfigXml({
      clusterName: settings.clusterName,
      port: settings.port,
      host: settings.bindAddress,
      join: settings.join,
      backupCount: settings.backupCount,
      ...(settings.publicAddress !== undefined ? { publicAddress: settings.publicAddress } : {}),
    }),
  );
  process.exit(0);
}

for (const warning of settings.warnings) process.stderr.write(`[member] warning: ${warning}\n`);
const joinDescription =
  settings.join.kind === 'kubernetes'
    ? `Kubernetes DNS discovery of ${settings.join.serviceDns}`
    : `TCP-IP members ${settings.join.members.join(', ')}`;
say(
  `starting on ${settings.bindAddress}:${settings.port}, cluster "${settings.clusterName}", ${joinDescription}, ${settings.backupCount} backup(s)`,
);

let member: HazelcastMemberProcess | undefined;
let stopping = false;

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: leaving the cluster (partitions migrate to the others first)`);
  if (member) await member.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  member = await startHazelcastMember({
    jarPath: HAZELCAST_JAR,
    clusterName: settings.clusterName,
    port: settings.port,
    host: settings.bindAddress,
    join: settings.join,
    backupCount: settings.backupCount,
    heap: settings.heap,
    ...(settings.publicAddress !== undefined ? { publicAddress: settings.publicAddress } : {}),
    ...(settings.configDir !== undefined ? { dataDir: settings.configDir } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  });
} catch (error) {
  fail(`[member] cannot start: ${error instanceof Error ? error.message : String(error)}`, 1);
}
say(`member started on ${settings.bindAddress}:${settings.port} (java pid ${member.pid})`);
const code = await member.exited;
if (!stopping) {
  say(`the member exited (code ${code ?? 'signal'})`);
  process.exit(code === 0 ? 1 : (code ?? 1));
}
