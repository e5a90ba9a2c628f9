// `npm run member` on two "hosts" (127.0.0.11 and .12): each member listens on its own address
// only, the two form one cluster, and every kind of entry survives a member's SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createHazelcastStore } from '../../cluster/hazelcast/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { silentLogger } from '../../domain/log.js';
import { testClusterName, TEST_STORE_TIMING } from '../support/hazelcast.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const MEMBER_ENTRY = fileURLToPath(new URL('../../bin/member.ts', import.meta.url));

interface MemberCommand {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
  /** The JVM's pid, once the member said it started. */
  javaPid(): number | undefined;
  /** SIGKILL for the command and its JVM (a SIGKILLed command cannot stop its child). */
  killHard(): void;
}

function runMember(env: Record<string, string>): MemberCommand {
  const child = spawn(process.execPath, ['--import', 'tsx', MEMBER_ENTRY], {
    env: { ...process.env, MEMBER_HEAP: '256m', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const javaPid = (): number | undefined => {
    const line = output.find((l) => l.includes('(java pid '));
    const match = line === undefined ? null : /\(java pid (\d+)\)/.exec(line);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const killHard = (): void => {
    const pid = javaPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
  };
  return { child, output, exited, javaPid, killHard };
}

function refusesOn(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('npm run member on two hosts @integration', function () {
  this.timeout(180_000);
  const clusterName = testClusterName();
  const members: MemberCommand[] = [];
  let store: ClusterStore | undefined;
  let ports: number[] = [];

  after(async () => {
    await store?.close().catch(() => undefined);
    for (const m of members) m.killHard();
  });

  it('exits 2 naming HZ_CLUSTER_NAME when a non-loopback member keeps the default name', async () => {
    const m = runMember({ MEMBER_BIND_ADDRESS: '10.0.0.11', HZ_CLUSTER_NAME: 'beamstack' });
    expect(await m.exited).to.equal(2);
    expect(m.output.join('\n')).to.match(/configuration error: HZ_CLUSTER_NAME: must be a name of your own/);
  });

  it('binds each member to its own address, forms one cluster, and keeps every entry when one is killed', async () => {
    ports = await freePorts(2);
    const [p1 = 0, p2 = 0] = ports;
    const a = `127.0.0.11:${p1}`;
    const b = `127.0.0.12:${p2}`;
    members.push(runMember({ HZ_CLUSTER_NAME: clusterName, MEMBER_BIND_ADDRESS: '127.0.0.11', MEMBER_PORT: String(p1), MEMBER_PEERS: b }));
    await waitFor('member 1 started', 90_000, () => members[0]!.output.some((l) => l.includes('member started on 127.0.0.11')));
    members.push(runMember({ HZ_CLUSTER_NAME: clusterName, MEMBER_BIND_ADDRESS: '127.0.0.12', MEMBER_PORT: String(p2), MEMBER_PEERS: a }));
    await waitFor('member 2 started', 90_000, () => members[1]!.output.some((l) => l.includes('member started on 127.0.0.12')));
    await waitFor('a cluster of two', 30_000, () => members[1]!.output.some((l) => /Members \{size:2/.test(l)));

    // Listening on its own address only: the same port on 127.0.0.1 is closed.
    expect(await refusesOn('127.0.0.1', p1)).to.equal(true);
    expect(await refusesOn('127.0.0.1', p2)).to.equal(true);

    store = await createHazelcastStore({ members: [a, b], clusterName, log: silentLogger, ...TEST_STORE_TIMING });
    const domain = store.map<{ n: number }>('domain.hosts-test');
    const presence = store.map<string>('chat.presence-hosts-test');
    const count = 200;
    for (let i = 0; i < count; i++) {
      await domain.set(`k${i}`, { n: i }, 1);
      await presence.set(`p${i}`, `node-${i % 3}`, 1);
    }
    for (let i = 0; i < 20; i++) expect(await store.leases.acquire(`lease-${i}`, 'holder-a', 60_000)).to.equal(true);

    members[0]!.killHard();
    await members[0]!.exited;
    await waitFor('member 2 alone', 60_000, () => members[1]!.output.some((l) => /Members \{size:1/.test(l)));

    const domainEntries = await waitFor('domain entries readable', 60_000, async () => {
      const entries = await domain.entries();
      return entries.length === count ? entries : undefined;
    });
    expect(domainEntries.map(([, v]) => v.value.n).sort((x, y) => x - y)).to.deep.equal(Array.from({ length: count }, (_, i) => i));
    expect((await presence.entries()).length).to.equal(count);
    const leases = await store.leases.all();
    expect(leases.filter((l) => l.name.startsWith('lease-')).map((l) => l.holder))
      .to.have.length(20)
      .and.satisfy((hs: string[]) => hs.every((h) => h === 'holder-a'));
  });
});
