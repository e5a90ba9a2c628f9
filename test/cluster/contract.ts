// The ClusterStore contract, run against both implementations (local.test.ts, hazelcast.test.ts).
// `factory` returns a new handle (one node) on the one cluster under test; handles made by
// it must share maps, topics, membership and leases.
import { expect } from 'chai';
import type { ClusterStore, MapChange, MembershipEvent, NodeInfo } from '../../domain/ports/cluster-store.js';
import { sleep, waitFor as waitUntil } from '../support/wait.js';

export { sleep };

export type StoreFactory = () => Promise<ClusterStore>;

export type ContractSection = 'maps' | 'topics' | 'membership' | 'leases' | 'counters';

export interface ContractOptions {
  /** The factory's heartbeat settings (membership timing checks use them). */
  heartbeatIntervalMs: number;
  nodeDownAfterMs: number;
  /** Slack on top of TTLs for expiry and delivery (Hazelcast expires on whole seconds). */
  marginMs: number;
  sections?: ContractSection[];
}

let counter = 0;
/** A name no other test (or earlier run against the same member) uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Polls every 20 ms until `check` returns true and resolves with the time it took; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  await waitUntil(what, timeoutMs, check, { everyMs: 20, retryErrors: false });
  return Date.now() - started;
}

export function nodeInfo(name: string, meta?: Record<string, string>): NodeInfo {
  return { name, host: '127.0.0.1', port: 4000, apiPort: 4001, startedAt: new Date().toISOString(), ...(meta ? { meta } : {}) };
}

export function clusterStoreContract(name: string, factory: StoreFactory, opts: ContractOptions): void {
  const sections = new Set<ContractSection>(opts.sections ?? ['maps', 'topics', 'membership', 'leases', 'counters']);
  const deliveryMs = 3000;

  describe(`ClusterStore contract: ${name}`, function () {
    this.timeout(30_000);
    // Handles shared by the map and topic tests (creating a Hazelcast client takes a while).
    let a: ClusterStore;
    let b: ClusterStore;
    const extra: ClusterStore[] = [];
    const newStore = async (): Promise<ClusterStore> => {
      const store = await factory();
      extra.push(store);
      return store;
    };

    before(async () => {
      [a, b] = await Promise.all([factory(), factory()]);
    });
    afterEach(async () => {
      await Promise.all(extra.splice(0).map((s) => s.close()));
    });
    after(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('reports itself connected', () => {
      expect(a.status()).to.equal('connected');
      expect(['local', 'hazelcast']).to.include(a.kind);
    });

    if (sections.has('maps')) {
      describe('maps', () => {
        it('stores versioned values and returns copies', async () => {
          const map = a.map<{ n: number; tags: string[] }>(unique('m'));
          expect(await map.get('x')).to.equal(undefined);
          expect(await map.set('x', { n: 1, tags: ['a'] }, 1)).to.equal(true);
          const got = await map.get('x');
          expect(got).to.deep.equal({ version: 1, value: { n: 1, tags: ['a'] } });
          got!.value.tags.push('mutated');
          expect((await map.get('x'))!.value.tags).to.deep.equal(['a']);
          expect(await b.map(map.name).get('x')).to.deep.equal({ version: 1, value: { n: 1, tags: ['a'] } });
        });

        it('ignores a set whose version is not newer than the stored one', async () => {
          const map = a.map<string>(unique('m'));
          expect(await map.set('k', 'v2', 2)).to.equal(true);
          expect(await map.set('k', 'v1', 1)).to.equal(false);
          expect(await map.set('k', 'v2-again', 2)).to.equal(false);
          expect(await map.get('k')).to.deep.equal({ version: 2, value: 'v2' });
          expect(await b.map<string>(map.name).set('k', 'v3', 3)).to.equal(true);
          expect(await map.get('k')).to.deep.equal({ version: 3, value: 'v3' });
        });

        it('stores string values of any content as they are, next to JSON values', async () => {
          const map = a.map<string | { text: string }>(unique('m'));
          const strings = ['', 's1:x', '{"version":1,"value":"no"}', 'line\nline\r\n\\"q"', 'ünïcødé ✓ \u0000 end', 'x'.repeat(200_000)];
          for (const [i, text] of strings.entries()) expect(await map.set(`k${i}`, text, i + 1)).to.equal(true);
          await map.set('json', { text: 's2:looks raw' }, 7);
          for (const [i, text] of strings.entries())
            expect(await b.map<string>(map.name).get(`k${i}`)).to.deep.equal({ version: i + 1, value: text });
          expect(await map.get('json')).to.deep.equal({ version: 7, value: { text: 's2:looks raw' } });
          expect(await map.set('k1', 'older', 1)).to.equal(false);
          expect(await map.set('k1', 'newer', 2.5)).to.equal(true);
          expect(await b.map<string>(map.name).get('k1')).to.deep.equal({ version: 2.5, value: 'newer' });
        });

        it('keeps the highest version when two nodes race', async () => {
          const name = unique('m');
          const ma = a.map<number>(name);
          const mb = b.map<number>(name);
          const writes: Array<Promise<boolean>> = [];
          for (let v = 1; v <= 20; v++) writes.push((v % 2 === 0 ? ma : mb).set('k', v, v));
          await Promise.all(writes);
          expect(await ma.get('k')).to.deep.equal({ version: 20, value: 20 });
        });

        it('deletes, lists entries, and rejects bad input', async () => {
          const map = a.map<string>(unique('m'));
          await map.set('a', 'A', 1);
          await map.set('b', 'B', 1);
          await map.delete('a');
          await map.delete('never-there');
          expect(await map.get('a')).to.equal(undefined);
          expect(await map.entries()).to.deep.equal([['b', { version: 1, value: 'B' }]]);
          let error: unknown;
          try {
            await map.set('c', 'C', Number.NaN);
          } catch (err) {
            error = err;
          }
          expect(error).to.be.instanceOf(TypeError);
          expect(() => a.map('')).to.throw(TypeError);
        });

        it('setAll replaces the content; clear and destroy empty it', async () => {
          const map = a.map<string>(unique('m'));
          await map.set('old', 'O', 1);
          await map.set('kept', 'K', 1);
          await map.setAll([
            ['kept', { version: 5, value: 'K5' }],
            ['new', { version: 1, value: 'N' }],
          ]);
          const sorted = (await b.map<string>(map.name).entries()).sort(([x], [y]) => x.localeCompare(y));
          expect(sorted).to.deep.equal([
            ['kept', { version: 5, value: 'K5' }],
            ['new', { version: 1, value: 'N' }],
          ]);
          await map.clear();
          expect(await map.entries()).to.deep.equal([]);
          await map.set('again', 'A', 1);
          await map.destroy();
          expect(await map.entries()).to.deep.equal([]);
          expect(await map.set('after-destroy', 'D', 1)).to.equal(true);
          expect(await map.get('after-destroy')).to.deep.equal({ version: 1, value: 'D' });
        });

        it('onChange sees sets and deletes made on another node, not stale sets', async () => {
          const name = unique('m');
          const seen: Array<MapChange<string>> = [];
          const unsubscribe = await a.map<string>(name).onChange((change) => seen.push(change));
          const other = b.map<string>(name);
          await other.set('k', 'v2', 2);
          await other.set('k', 'v1', 1); // stale: no event
          await other.set('k', 'v3', 3);
          await other.delete('k');
          await waitFor('3 map events', deliveryMs, () => seen.length >= 3);
          await waitFor('the delete event', deliveryMs, () => seen.some((c) => c.type === 'delete'));
          expect(seen).to.deep.equal([
            { type: 'set', key: 'k', version: 2, value: 'v2' },
            { type: 'set', key: 'k', version: 3, value: 'v3' },
            { type: 'delete', key: 'k' },
          ]);
          await unsubscribe();
          await other.set('k', 'v9', 9);
          await sleep(200);
          expect(seen).to.have.length(3);
        });

        it('onChange reports what setAll and clear change, including on this node', async () => {
          const map = a.map<string>(unique('m'));
          await map.set('gone', 'G', 1);
          const seen: Array<MapChange<string>> = [];
          await map.onChange((change) => seen.push(change));
          await map.setAll([['x', { version: 1, value: 'X' }]]);
          await waitFor('setAll events', deliveryMs, () => seen.length >= 2);
          expect(seen).to.deep.include({ type: 'set', key: 'x', version: 1, value: 'X' });
          expect(seen).to.deep.include({ type: 'delete', key: 'gone' });
          seen.length = 0;
          await map.clear();
          await waitFor('clear event', deliveryMs, () => seen.length >= 1);
          expect(seen).to.deep.equal([{ type: 'delete', key: 'x' }]);
        });

        it('delivers events asynchronously, never inside the call', async () => {
          const map = a.map<string>(unique('m'));
          let inside = false;
          let sawInside = false;
          let count = 0;
          await map.onChange(() => {
            if (inside) sawInside = true;
            count += 1;
          });
          inside = true;
          const pending = map.set('k', 'v', 1);
          inside = false;
          await pending;
          await waitFor('the event', deliveryMs, () => count === 1);
          expect(sawInside).to.equal(false);
        });
      });
    }

    if (sections.has('topics')) {
      describe('topics', () => {
        it('delivers messages in publish order to subscribers on two nodes', async () => {
          const topic = unique('t');
          const gotA: number[] = [];
          const gotB: number[] = [];
          await a.topics.subscribe<{ i: number }>(topic, (m) => gotA.push(m.i));
          await b.topics.subscribe<{ i: number }>(topic, (m) => gotB.push(m.i));
          const count = 200;
          for (let i = 0; i < count; i++) await (i % 2 === 0 ? a : b).topics.publish(topic, { i });
          await waitFor('all messages on both nodes', deliveryMs * 2, () => gotA.length === count && gotB.length === count);
          const expected = Array.from({ length: count }, (_, i) => i);
          expect(gotA).to.deep.equal(expected);
          expect(gotB).to.deep.equal(expected);
        });

        it('keeps topics apart and stops delivering after unsubscribe', async () => {
          const topic = unique('t');
          const otherTopic = unique('t');
          const first: string[] = [];
          const second: string[] = [];
          const stop = await a.topics.subscribe<string>(topic, (m) => first.push(m));
          await a.topics.subscribe<string>(topic, (m) => second.push(m));
          await b.topics.publish(otherTopic, 'elsewhere');
          await b.topics.publish(topic, 'one');
          await waitFor('first message', deliveryMs, () => first.length === 1 && second.length === 1);
          await stop();
          await b.topics.publish(topic, 'two');
          await waitFor('second message on the remaining subscriber', deliveryMs, () => second.length === 2);
          expect(first).to.deep.equal(['one']);
          expect(second).to.deep.equal(['one', 'two']);
        });

        it('destroy frees a topic; subscriptions on every node keep receiving what is published after', async () => {
          const topic = unique('t');
          const gotA: string[] = [];
          const gotB: string[] = [];
          await a.topics.subscribe<string>(topic, (m) => gotA.push(m));
          await b.topics.subscribe<string>(topic, (m) => gotB.push(m));
          await a.topics.publish(topic, 'before');
          await waitFor('the first message', deliveryMs, () => gotA.length === 1 && gotB.length === 1);
          await a.topics.destroy(topic);
          await b.topics.destroy(unique('never-used'));
          // Published until it arrives: a reader may need a moment to find the new buffer.
          const started = Date.now();
          for (let i = 0; gotA.length < 2 || gotB.length < 2; i += 1) {
            if (Date.now() - started > deliveryMs * 3) throw new Error(`after destroy: a got ${gotA.join()}, b got ${gotB.join()}`);
            await a.topics.publish(topic, `after-${i}`);
            await sleep(100);
          }
          expect(gotA[0]).to.equal('before');
          expect(gotB[0]).to.equal('before');
          expect(gotA[1]).to.match(/^after-/);
          expect(gotB[1]).to.match(/^after-/);
        });

        it('gives each subscriber its own copy of a message', async () => {
          const topic = unique('t');
          const got: Array<{ list: number[] }> = [];
          await b.topics.subscribe<{ list: number[] }>(topic, (m) => {
            m.list.push(99);
            got.push(m);
          });
          await b.topics.subscribe<{ list: number[] }>(topic, (m) => got.push(m));
          const sent = { list: [1] };
          await a.topics.publish(topic, sent);
          await waitFor('both copies', deliveryMs, () => got.length === 2);
          expect(sent.list).to.deep.equal([1]);
          expect(got[1]!.list).to.deep.equal([1]);
        });
      });
    }

    if (sections.has('membership')) {
      describe('membership', () => {
        /** A watcher recording membership events, and a joiner (newStore unless given) joined as a new node. */
        const watchJoin = async (makeJoiner: () => Promise<ClusterStore> = newStore, meta?: Record<string, string>) => {
          const watcher = await newStore();
          const joiner = await makeJoiner();
          const events: MembershipEvent[] = [];
          await watcher.membership.onChange((e) => events.push(e));
          const nodeName = unique('node');
          await joiner.membership.join(nodeInfo(nodeName, meta));
          return { watcher, joiner, events, nodeName };
        };

        it('a node that joins is listed on other nodes, which get an up event', async () => {
          const { watcher, events, nodeName } = await watchJoin(newStore, { zone: 'eu' });
          await waitFor('up event', deliveryMs, () => events.some((e) => e.type === 'up' && e.node.name === nodeName));
          const listed = (await watcher.membership.nodes()).find((n) => n.name === nodeName);
          expect(listed).to.include({ name: nodeName, host: '127.0.0.1', port: 4000, apiPort: 4001 });
          expect(listed!.meta).to.deep.equal({ zone: 'eu' });
          expect(Date.parse(listed!.lastHeartbeatAt)).to.be.greaterThan(Date.now() - opts.nodeDownAfterMs - 1000);
          expect(events.filter((e) => e.type === 'up' && e.node.name === nodeName)).to.have.length(1);
        });

        it('a node that keeps beating stays up past nodeDownAfterMs', async () => {
          const { watcher, events, nodeName } = await watchJoin();
          await sleep(opts.nodeDownAfterMs + opts.marginMs);
          expect(events.filter((e) => e.type === 'down' && e.name === nodeName)).to.deep.equal([]);
          expect((await watcher.membership.nodes()).map((n) => n.name)).to.include(nodeName);
        });

        it('a node that leaves is down at once', async () => {
          const { watcher, joiner, events, nodeName } = await watchJoin();
          await waitFor('up event', deliveryMs, () => events.some((e) => e.type === 'up' && e.node.name === nodeName));
          await joiner.membership.leave();
          await waitFor('down event', deliveryMs, () => events.some((e) => e.type === 'down' && e.name === nodeName));
          expect((await watcher.membership.nodes()).map((n) => n.name)).not.to.include(nodeName);
        });

        it('a node that stops heartbeating (closed) is down within nodeDownAfterMs', async () => {
          const { watcher, joiner, events, nodeName } = await watchJoin(factory); // the joiner is closed by the test itself
          await waitFor('up event', deliveryMs, () => events.some((e) => e.type === 'up' && e.node.name === nodeName));
          await joiner.close();
          expect((await watcher.membership.nodes()).map((n) => n.name)).to.include(nodeName);
          const tookMs = await waitFor('down event', opts.nodeDownAfterMs + opts.marginMs, () =>
            events.some((e) => e.type === 'down' && e.name === nodeName),
          );
          expect(tookMs).to.be.lessThan(opts.nodeDownAfterMs + opts.marginMs);
          expect((await watcher.membership.nodes()).map((n) => n.name)).not.to.include(nodeName);
        });

        it('rejects a malformed node', async () => {
          const store = await newStore();
          let error: unknown;
          try {
            await store.membership.join({ ...nodeInfo('x'), port: -1 });
          } catch (err) {
            error = err;
          }
          expect(error).to.be.instanceOf(TypeError);
        });
      });
    }

    if (sections.has('leases')) {
      describe('leases', () => {
        it('only one of two concurrent holders acquires', async () => {
          const lease = unique('lease');
          const results = await Promise.all([a.leases.acquire(lease, 'node-a', 10_000), b.leases.acquire(lease, 'node-b', 10_000)]);
          expect(results.filter(Boolean)).to.have.length(1);
          const winner = results[0] ? 'node-a' : 'node-b';
          expect((await a.leases.holder(lease))?.holder).to.equal(winner);
          expect((await b.leases.all()).filter((l) => l.name === lease).map((l) => l.holder)).to.deep.equal([winner]);
          await (winner === 'node-a' ? a : b).leases.release(lease, winner);
        });

        it('only the holder renews and releases', async () => {
          const lease = unique('lease');
          expect(await a.leases.acquire(lease, 'node-a', 10_000)).to.equal(true);
          expect(await a.leases.acquire(lease, 'node-a', 10_000)).to.equal(true); // re-acquire = renew
          expect(await b.leases.renew(lease, 'node-b', 10_000)).to.equal(false);
          expect(await a.leases.renew(lease, 'node-a', 10_000)).to.equal(true);
          await b.leases.release(lease, 'node-b'); // not the holder: no effect
          expect((await b.leases.holder(lease))?.holder).to.equal('node-a');
          const info = await b.leases.holder(lease);
          expect(Date.parse(info!.expiresAt)).to.be.greaterThan(Date.now() + 5000);
          await a.leases.release(lease, 'node-a');
          expect(await b.leases.holder(lease)).to.equal(undefined);
          expect(await b.leases.renew(lease, 'node-a', 10_000)).to.equal(false);
          expect(await b.leases.acquire(lease, 'node-b', 10_000)).to.equal(true);
          await b.leases.release(lease, 'node-b');
        });

        it('an expired lease lets another node acquire, never before its ttl', async () => {
          const lease = unique('lease');
          const ttlMs = 1000;
          const acquiredAt = Date.now();
          expect(await a.leases.acquire(lease, 'node-a', ttlMs)).to.equal(true);
          let takenAt = 0;
          await waitFor('lease to expire', ttlMs + opts.marginMs, async () => {
            if (await b.leases.acquire(lease, 'node-b', 10_000)) takenAt = Date.now();
            return takenAt > 0;
          });
          expect(takenAt - acquiredAt).to.be.at.least(ttlMs);
          expect(await a.leases.renew(lease, 'node-a', ttlMs)).to.equal(false);
          expect((await a.leases.holder(lease))?.holder).to.equal('node-b');
          await b.leases.release(lease, 'node-b');
        });

        it('a renewed lease outlives its first ttl', async () => {
          const lease = unique('lease');
          const ttlMs = 1000;
          expect(await a.leases.acquire(lease, 'node-a', ttlMs)).to.equal(true);
          for (let i = 0; i < 6; i++) {
            await sleep(300);
            expect(await a.leases.renew(lease, 'node-a', ttlMs)).to.equal(true);
            expect(await b.leases.acquire(lease, 'node-b', ttlMs)).to.equal(false);
          }
          await a.leases.release(lease, 'node-a');
        });

        it('rejects bad lease arguments', async () => {
          let error: unknown;
          try {
            await a.leases.acquire(unique('lease'), 'node-a', 0);
          } catch (err) {
            error = err;
          }
          expect(error).to.be.instanceOf(TypeError);
        });
      });
    }

    if (sections.has('counters')) {
      describe('counters', () => {
        it('counts concurrent hits from two nodes exactly once each', async () => {
          const key = unique('counter');
          const hits = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).counters.hit(key, 10_000)));
          expect(hits.map((h) => h.current.count).sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
          const first = hits.find((h) => h.current.count === 1)!;
          expect(first.previous).to.equal(undefined);
          const second = hits.find((h) => h.current.count === 2)!;
          expect(second.previous?.count).to.equal(1);
          expect((await b.counters.get(key))?.count).to.equal(20);
        });

        it('reset forgets a counter on every node', async () => {
          const key = unique('counter');
          await a.counters.hit(key, 10_000);
          await b.counters.reset(key);
          expect(await a.counters.get(key)).to.equal(undefined);
          expect((await a.counters.hit(key, 10_000)).current.count).to.equal(1);
        });

        it('a counter expires ttl after its last hit', async () => {
          const key = unique('counter');
          const ttlMs = 1000;
          await a.counters.hit(key, ttlMs);
          const lastHitAt = Date.now();
          expect((await b.counters.hit(key, ttlMs)).current.count).to.equal(2);
          await waitFor('the counter to expire', ttlMs + opts.marginMs, async () => (await b.counters.get(key)) === undefined);
          expect(Date.now() - lastHitAt).to.be.at.least(ttlMs);
          expect((await a.counters.hit(key, ttlMs)).current.count).to.equal(1);
        });

        it('rejects bad counter arguments', async () => {
          let error: unknown;
          try {
            await a.counters.hit(unique('counter'), -1);
          } catch (err) {
            error = err;
          }
          expect(error).to.be.instanceOf(TypeError);
        });
      });
    }

    it('close reports disconnected and refuses further use', async () => {
      const store = await factory();
      const statuses: string[] = [];
      store.onStatus((s) => statuses.push(s));
      await store.close();
      expect(store.status()).to.equal('disconnected');
      expect(statuses).to.include('disconnected');
      let failed = false;
      try {
        await store.map<string>(unique('m')).set('k', 'v', 1);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
    });
  });
}
