import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createHazelcastStore } from '../../cluster/hazelcast/index.js';
import type { ClusterStatus, MapChange, MembershipEvent } from '../../domain/ports/cluster-store.js';
import { silentLogger } from '../../domain/log.js';
import { freePort } from '../support/ports.js';
import { startTestHazelcast, TEST_STORE_TIMING, type TestHazelcast } from '../support/hazelcast.js';
import { clusterStoreContract, nodeInfo, sleep, unique, waitFor } from './contract.js';

const timing = { heartbeatIntervalMs: TEST_STORE_TIMING.heartbeatIntervalMs, nodeDownAfterMs: TEST_STORE_TIMING.nodeDownAfterMs };
// Hazelcast keeps expiry times in whole seconds: allow one more second than the TTL.
const marginMs = 2500;

describe('hazelcast cluster store @integration', function () {
  this.timeout(60_000);

  describe('one member', () => {
    let hz: TestHazelcast | undefined;
    before(async function () {
      this.timeout(120_000);
      hz = await startTestHazelcast(1);
    });
    after(async function () {
      this.timeout(60_000);
      await hz?.stop();
    });

    clusterStoreContract('hazelcast, 1 member', () => hz!.store(), { ...timing, marginMs, sections: ['maps', 'topics'] });

    it("a domain.* map (no near cache: docs/cluster.md) sees another node's change at once", async () => {
      const [a, b] = await Promise.all([hz!.store(), hz!.store()]);
      const name = `domain.${unique('routes')}`;
      await a.map<string>(name).set('k', 'v1', 1);
      expect(await a.map<string>(name).get('k')).to.deep.equal({ version: 1, value: 'v1' });
      expect(await b.map<string>(name).set('k', 'v2', 2)).to.equal(true);
      expect(await a.map<string>(name).get('k')).to.deep.equal({ version: 2, value: 'v2' });
      expect(await a.map<string>(name).set('k', 'v2-stale', 2)).to.equal(false);
      expect(await a.map<string>(name).set('k', 'v3', 3)).to.equal(true);
      await Promise.all([a.close(), b.close()]);
    });

    it('says clearly when the first connect fails', async () => {
      const port = await freePort();
      const base = { clusterName: hz!.clusterName, log: silentLogger, ...TEST_STORE_TIMING, connectTimeoutMs: 1000 };
      let error: Error | undefined;
      try {
        await createHazelcastStore({ ...base, members: [`127.0.0.1:${port}`] });
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.equal(`cannot reach Hazelcast at 127.0.0.1:${port} (HZ_MEMBERS)`);

      error = undefined;
      try {
        await createHazelcastStore({ ...base, members: hz!.addresses, clusterName: 'not-this-cluster' });
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.match(/does not accept the cluster name "not-this-cluster" \(HZ_CLUSTER_NAME\)/);

      error = undefined;
      try {
        await createHazelcastStore({ ...base, members: ['no-port-here'] });
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.match(/^HZ_MEMBERS: "no-port-here" is not a host:port address/);
    });

    it('reconnects by itself after the member restarts; maps, topics, listeners and membership work again', async function () {
      this.timeout(90_000);
      const [a, b] = await Promise.all([hz!.store(), hz!.store()]);
      const statuses: ClusterStatus[] = [];
      a.onStatus((s) => statuses.push(s));
      const topic = unique('t');
      const mapName = unique('m');
      const nodeName = unique('node');
      const messages: string[] = [];
      const changes: Array<MapChange<string>> = [];
      await a.topics.subscribe<string>(topic, (m) => messages.push(m));
      await a.map<string>(mapName).onChange((c) => changes.push(c));
      await a.membership.join(nodeInfo(nodeName));
      for (const m of ['before-1', 'before-2', 'before-3']) await b.topics.publish(topic, m);
      await waitFor('messages before the restart', 3000, () => messages.length === 3);

      await hz!.restart(0);
      await waitFor('a to see the disconnect', 10_000, () => statuses.includes('disconnected'));
      await waitFor('both clients to reconnect', 30_000, () => a.status() === 'connected' && b.status() === 'connected');
      expect(statuses.slice(-1)).to.deep.equal(['connected']);

      // Membership: the node registers again by itself (the restart lost the map).
      await waitFor('the node to re-register', 5000, async () => (await b.membership.nodes()).some((n) => n.name === nodeName));
      // Maps and the listener registered before the restart.
      expect(await b.map<string>(mapName).set('k', 'after', 1)).to.equal(true);
      expect(await a.map<string>(mapName).get('k')).to.deep.equal({ version: 1, value: 'after' });
      await waitFor('the map event after the restart', 5000, () => changes.some((c) => c.type === 'set' && c.value === 'after'));
      // Topics: the subscription made before the restart still delivers.
      await sleep(500); // let a's reader re-seek on the new ringbuffer
      await b.topics.publish(topic, 'after-1');
      await b.topics.publish(topic, 'after-2');
      await waitFor('messages after the restart', 10_000, () => messages.length === 5);
      expect(messages).to.deep.equal(['before-1', 'before-2', 'before-3', 'after-1', 'after-2']);
      await Promise.all([a.close(), b.close()]);
    });
  });

  describe('two members', () => {
    let hz: TestHazelcast | undefined;
    let child: ChildProcess | undefined;
    before(async function () {
      this.timeout(120_000);
      hz = await startTestHazelcast(2);
    });
    after(async function () {
      this.timeout(60_000);
      child?.kill('SIGKILL');
      await hz?.stop();
    });

    clusterStoreContract('hazelcast, 2 members', () => hz!.store(), {
      ...timing,
      marginMs,
      sections: ['membership', 'leases', 'counters'],
    });

    it('a SIGKILLed node disappears from nodes() within 10 s', async function () {
      this.timeout(40_000);
      const watcher = await hz!.store();
      const events: MembershipEvent[] = [];
      await watcher.membership.onChange((e) => events.push(e));
      const nodeName = unique('killed');
      const script = fileURLToPath(new URL('./fixtures/member-node.ts', import.meta.url));
      child = spawn(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, HZ_MEMBERS: hz!.addresses.join(','), HZ_CLUSTER_NAME: hz!.clusterName, NODE_NAME: nodeName },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await waitFor('the child node to join', 20_000, () => events.some((e) => e.type === 'up' && e.node.name === nodeName));
      child.kill('SIGKILL');
      const tookMs = await waitFor(
        'the killed node to be gone',
        10_000,
        async () => !(await watcher.membership.nodes()).some((n) => n.name === nodeName),
      );
      await waitFor('its down event', 2000, () => events.some((e) => e.type === 'down' && e.name === nodeName));
      expect(tookMs).to.be.lessThan(TEST_STORE_TIMING.nodeDownAfterMs + marginMs);
      await watcher.close();
    });
  });
});
