// Real Hazelcast members for integration tests: N members with a unique cluster name on free
// loopback ports, started one after the other (so they form one cluster), stopped in `after`.
// Set HZ_TEST_VERBOSE=1 to see the members' output.
import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '../../domain/log.js';
import { createHazelcastStore, type HazelcastStoreOptions } from '../../cluster/hazelcast/index.js';
import { HAZELCAST_JAR, startHazelcastMember, type HazelcastMemberProcess } from '../../cluster/hazelcast/member.js';
import type { ClusterStore } from '../../cluster/store.js';
import { freePorts } from './ports.js';

export interface TestHazelcast {
  readonly clusterName: string;
  readonly ports: number[];
  /** `127.0.0.1:<port>` per member, as HZ_MEMBERS takes them. */
  readonly addresses: string[];
  /** The running member processes (replaced by restart). */
  readonly members: HazelcastMemberProcess[];
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

function memberLog(port: number): ((line: string) => void) | undefined {
  if (process.env.HZ_TEST_VERBOSE !== '1') return undefined;
  return (line) => process.stderr.write(`[hz:${port}] ${line}\n`);
}

export async function startTestHazelcast(count: number, opts: { log?: Logger } = {}): Promise<TestHazelcast> {
  const clusterName = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const ports = await freePorts(count);
  const members: HazelcastMemberProcess[] = [];
  const stores: ClusterStore[] = [];
  const start = (port: number): Promise<HazelcastMemberProcess> =>
    startHazelcastMember({
      jarPath: HAZELCAST_JAR,
      clusterName,
      port,
      peers: ports.filter((p) => p !== port),
      log: memberLog(port),
    });

  const stopAll = async (): Promise<void> => {
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => {})));
    await Promise.all(members.map((m) => m.stop().catch(() => m.kill())));
  };

  try {
    // One after the other: each joins the cluster the first one formed.
    for (const port of ports) members.push(await start(port));
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    clusterName,
    ports,
    addresses: ports.map((p) => `127.0.0.1:${p}`),
    members,
    async restart(index) {
      const member = members[index];
      if (!member) throw new Error(`no member ${index}`);
      await member.stop();
      members[index] = await start(member.port);
    },
    async store(overrides = {}) {
      const store = await createHazelcastStore({
        members: ports.map((p) => `127.0.0.1:${p}`),
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
