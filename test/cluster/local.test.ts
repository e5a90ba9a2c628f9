import { expect } from 'chai';
import { LocalCluster, createLocalStore } from '../../cluster/local/index.js';
import type { MembershipEvent } from '../../domain/ports/cluster-store.js';
import { captureLogger } from '../support/capture-logger.js';
import { clusterStoreContract, nodeInfo, sleep, unique, waitFor } from './contract.js';

const timing = { heartbeatIntervalMs: 50, nodeDownAfterMs: 300 };

describe('local cluster store', () => {
  let hub = new LocalCluster(timing);
  clusterStoreContract('local', async () => hub.store(), { ...timing, marginMs: 500 });

  describe('LocalCluster specifics', () => {
    beforeEach(() => {
      hub = new LocalCluster(timing);
    });

    it('keeps separate LocalClusters apart', async () => {
      const other = new LocalCluster(timing);
      const name = unique('m');
      await hub.store().map<string>(name).set('k', 'v', 1);
      expect(await other.store().map<string>(name).get('k')).to.equal(undefined);
    });

    it('createLocalStore is a one-node cluster with working defaults', async () => {
      const store = createLocalStore();
      await store.membership.join(nodeInfo('solo'));
      expect((await store.membership.nodes()).map((n) => n.name)).to.deep.equal(['solo']);
      await store.membership.leave();
      expect(await store.membership.nodes()).to.deep.equal([]);
      await store.close();
    });

    it('a listener that throws is logged and does not stop delivery to others', async () => {
      const log = captureLogger();
      const local = new LocalCluster({ ...timing, log });
      const store = local.store();
      const topic = unique('t');
      const got: string[] = [];
      await store.topics.subscribe(topic, () => {
        throw new Error('boom');
      });
      await store.topics.subscribe<string>(topic, (m) => got.push(m));
      await store.topics.publish(topic, 'hello');
      await waitFor('delivery', 1000, () => got.length === 1);
      expect(log.lines.some((l) => l.level === 'error' && /listener failed/.test(l.msg))).to.equal(true);
    });

    it('a closed handle receives nothing more and its node goes down after nodeDownAfterMs', async () => {
      const a = hub.store();
      const b = hub.store();
      const events: MembershipEvent[] = [];
      await a.membership.onChange((e) => events.push(e));
      const seen: string[] = [];
      const topic = unique('t');
      await b.topics.subscribe<string>(topic, (m) => seen.push(m));
      await b.membership.join(nodeInfo('b'));
      await waitFor('up', 1000, () => events.length === 1);
      const closedAt = Date.now();
      await b.close();
      await a.topics.publish(topic, 'after close');
      await waitFor('down', 2000, () => events.length === 2);
      expect(Date.now() - closedAt).to.be.at.least(timing.nodeDownAfterMs - timing.heartbeatIntervalMs);
      expect(seen).to.deep.equal([]);
    });

    it('a node whose heartbeat resumes after being declared down comes up again', async () => {
      const a = hub.store();
      const events: MembershipEvent[] = [];
      await a.membership.onChange((e) => events.push(e));
      const b = hub.store();
      await b.membership.join(nodeInfo('b'));
      await b.membership.leave();
      await b.membership.join(nodeInfo('b'));
      await waitFor('up, down, up', 1000, () => events.length === 3);
      expect(events.map((e) => e.type)).to.deep.equal(['up', 'down', 'up']);
      await sleep(10);
      await b.close();
    });

    it('rejects a bad configuration', () => {
      expect(() => new LocalCluster({ heartbeatIntervalMs: 500, nodeDownAfterMs: 100 })).to.throw(/nodeDownAfterMs/);
      expect(() => new LocalCluster({ heartbeatIntervalMs: -1 })).to.throw(/heartbeatIntervalMs/);
    });
  });
});
