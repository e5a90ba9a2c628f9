// A real OpenLDAP server (Debian `slapd`) for directory-login tests: its own slapd.conf and
// database in a temp folder, on a free loopback port, run as the current user, seeded with an
// LDIF through `ldapadd` (online, so the memberof overlay, when asked for, fills memberOf).
// SLAPD_BIN / LDAPADD_BIN override the binaries. `npm run setup` installs them
// (bin/setup-test-tools.sh).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export const SLAPD_BIN = process.env.SLAPD_BIN ?? '/usr/sbin/slapd';
const LDAPADD_BIN = process.env.LDAPADD_BIN ?? 'ldapadd';

export const BASE_DN = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const ROOT_PASSWORD = 'root-secret-pw';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const SERVICE_DN = `cn=beamstack,ou=services,${BASE_DN}`;
export const SERVICE_PASSWORD = 'service-secret-pw';
export const SUPERVISORS_DN = `cn=supervisors,${GROUPS_DN}`;
export const ADMINS_DN = `cn=video-admins,${GROUPS_DN}`;
export const OTHERS_DN = `cn=operators,${GROUPS_DN}`;

export interface DirectoryPerson {
  uid: string;
  password: string;
  /** Group cns under ou=groups this person is a member of. */
  groups: string[];
  cn?: string;
}

/** The people every directory test uses (groups: supervisors → MANAGER, video-admins → ADMIN). */
export const PEOPLE: Record<string, DirectoryPerson> = {
  alice: { uid: 'alice', password: 'alice-pw-1', groups: ['supervisors'], cn: 'Alice Supervisor' },
  bob: { uid: 'bob', password: 'bob-pw-1', groups: ['video-admins', 'supervisors'], cn: 'Bob Admin' },
  carol: { uid: 'carol', password: 'carol-pw-1', groups: ['operators'], cn: 'Carol Operator' },
  // A uid with DN and filter special characters: must log in as herself, and only herself.
  tricky: { uid: 'd,a*n(1)', password: 'tricky-pw-1', groups: ['supervisors'], cn: 'Tricky Name' },
};

export const GROUP_ROLES = `${SUPERVISORS_DN}=MANAGER;${ADMINS_DN}=ADMIN`;

const dnValue = (value: string): string => value.replace(/([\\,+"<>;=])/g, '\\$1');
export const personDn = (uid: string): string => `uid=${dnValue(uid)},${PEOPLE_DN}`;

/** The seed: people, groups (groupOfNames with member), the service account. */
export function seedLdif(people: DirectoryPerson[] = Object.values(PEOPLE)): string {
  const entries: string[] = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups`,
    `dn: ou=services,${BASE_DN}\nobjectClass: organizationalUnit\nou: services`,
    `dn: ${SERVICE_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: beamstack\nuserPassword: ${SERVICE_PASSWORD}`,
  ];
  for (const person of people) {
    const cn = person.cn ?? person.uid;
    entries.push(
      [
        `dn: ${personDn(person.uid)}`,
        'objectClass: inetOrgPerson',
        `uid: ${person.uid}`,
        `cn: ${cn}`,
        `sn: ${cn.split(' ').at(-1)}`,
        `userPassword: ${person.password}`,
      ].join('\n'),
    );
  }
  const groups = new Set(['supervisors', 'video-admins', 'operators']);
  for (const group of groups) {
    const members = people.filter((p) => p.groups.includes(group)).map((p) => `member: ${personDn(p.uid)}`);
    // groupOfNames needs at least one member.
    if (members.length === 0) members.push(`member: ${SERVICE_DN}`);
    entries.push([`dn: cn=${group},${GROUPS_DN}`, 'objectClass: groupOfNames', `cn: ${group}`, ...members].join('\n'));
  }
  return `${entries.join('\n\n')}\n`;
}

export interface SlapdOptions {
  /** Load the memberof overlay, so people carry memberOf. Default false (plain slapd). */
  memberOf?: boolean;
  /**
   * Hide groups' `member` attribute from everyone but the root DN, so only memberOf tells
   * who is in a group (proves the memberOf path on its own).
   */
  hideGroupMembers?: boolean;
  ldif?: string;
}

export interface TestSlapd {
  readonly port: number;
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string;
  readonly running: boolean;
  /** Stops it (SIGTERM, then SIGKILL); the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
  /** What slapd printed (for failure reports). */
  readonly output: string[];
}

function slapdConf(dir: string, opts: SlapdOptions): string {
  const acl = opts.hideGroupMembers
    ? ['access to attrs=member by * none', 'access to attrs=userPassword by anonymous auth by * none', 'access to * by * read']
    : ['access to attrs=userPassword by anonymous auth by * none', 'access to * by * read'];
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'include /etc/ldap/schema/nis.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(opts.memberOf ? ['moduleload memberof'] : []),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'database mdb',
    'maxsize 10485760',
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PASSWORD}`,
    `directory ${join(dir, 'db')}`,
    ...(opts.memberOf ? ['overlay memberof', 'memberof-refint TRUE'] : []),
    ...acl,
    '',
  ].join('\n');
}

function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output}`))));
    child.stdin.end(input ?? '');
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<TestSlapd> {
  const dir = await mkdtemp(join(tmpdir(), 'beamstack-slapd-'));
  await mkdir(join(dir, 'db'));
  const confPath = join(dir, 'slapd.conf');
  await writeFile(confPath, slapdConf(dir, opts));
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const output: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    // -d 0: stay in the foreground (no fork) so we own the process.
    const proc = spawn(SLAPD_BIN, ['-h', `${url}/`, '-f', confPath, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await waitFor(
      `slapd on ${url}`,
      15_000,
      async () => {
        if (proc.exitCode !== null) throw new Error(`slapd exited ${proc.exitCode}: ${output.join('')}`);
        return portOpen(port);
      },
      { everyMs: 50, retryErrors: false },
    );
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    child = undefined;
  }

  await start();
  try {
    await run(LDAPADD_BIN, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD], opts.ldif ?? seedLdif());
  } catch (err) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    url,
    output,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    start,
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
