// Real Hazelcast members for integration tests: a restartable member handle on a free loopback
// port, and N members with a unique cluster name, started one after the other (so they form
// one cluster), stopped in `after`.
// Set HZ_TEST_VERBOSE=1 (or NODE_TEST_VERBOSE=1) to see the members' output.
import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '../../domain/log.js';
import { createHazelcastStore, type HazelcastStoreOptions } from '../../cluster/hazelcast/index.js';
import { HAZELCAST_JAR, startHazelcastMember, type HazelcastMemberProcess } from '../../cluster/hazelcast/member.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { freePort, freePorts } from './ports.js';
import { restartable, type Restartable } from './restartable.js';

export interface TestMember extends Restartable<HazelcastMemberProcess> {
  readonly port: number;
  readonly clusterName: string;
  /** `127.0.0.1:<port>`, as HZ_MEMBERS takes it. */
  readonly address: string;
}

export function testClusterName(): string {
  return `test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function memberLog(port: number): { log?: (line: string) => void } {
  if (process.env.HZ_TEST_VERBOSE !== '1' && process.env.NODE_TEST_VERBOSE !== '1') return {};
  return { log: (line) => process.stderr.write(`[hz:${port}] ${line}\n`) };
}

/** One member (a free port and a unique cluster name unless given); `started: false` reserves the port only. */
export async function testMember(
  opts: { clusterName?: string; port?: number; peers?: number[]; started?: boolean } = {},
): Promise<TestMember> {
  const port = opts.port ?? (await freePort());
  const clusterName = opts.clusterName ?? testClusterName();
  const launch = (): Promise<HazelcastMemberProcess> =>
    startHazelcastMember({ jarPath: HAZELCAST_JAR, clusterName, port, peers: opts.peers ?? [], ...memberLog(port) });
  const member: TestMember = Object.assign(restartable(launch), { port, clusterName, address: `127.0.0.1:${port}` });
  if (opts.started !== false) await member.start();
  return member;
}

export interface TestHazelcast {
  readonly clusterName: string;
  readonly ports: number[];
  /** `127.0.0.1:<port>` per member, as HZ_MEMBERS takes them. */
  readonly addresses: string[];
  readonly members: TestMember[];
  /** Stops member `index` gracefully and starts it again on the same port. */
  restart(index: number): Promise<void>;
  /** A store connected to these members, with test timings unless overridden. */
  store(overrides?: Partial<HazelcastStoreOptions>): Promise<ClusterStore>;
  /** Stops every member (and closes the stores made by `store`). */
  stop(): Promise<void>;
}

/** Timings for tests: fast heartbeats, short TTLs, short timeouts. */
export const TEST_STORE_TIMING = {
  heartbeatIntervalMs: 200,
  nodeDownAfterMs: 1500,
  invocationTimeoutMs: 4000,
  connectTimeoutMs: 5000,
} as const;

export async function startTestHazelcast(count: number, opts: { log?: Logger } = {}): Promise<TestHazelcast> {
  const clusterName = testClusterName();
  const ports = await freePorts(count);
  const members = await Promise.all(
    ports.map((port) => testMember({ clusterName, port, peers: ports.filter((p) => p !== port), started: false })),
  );
  const addresses = members.map((m) => m.address);
  const stores: ClusterStore[] = [];

  const stopAll = async (): Promise<void> => {
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => {})));
    await Promise.all(members.map((m) => m.stop().catch(() => undefined)));
  };

  try {
    // One after the other: each joins the cluster the first one formed.
    for (const member of members) await member.start();
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    clusterName,
    ports,
    addresses,
    members,
    async restart(index) {
      const member = members[index];
      if (!member) throw new Error(`no member ${index}`);
      await member.restart();
    },
    async store(overrides = {}) {
      const store = await createHazelcastStore({
        members: addresses,
        clusterName,
        log: opts.log ?? silentLogger,
        ...TEST_STORE_TIMING,
        ...overrides,
      });
      stores.push(store);
      return store;
    },
    stop: stopAll,
  };
}
