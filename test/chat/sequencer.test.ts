// The room sequencer (docs/decisions.md, "Chat: one sequencer per room") on simulated nodes:
// dense unique ids even with two owners forced at once, every acked id stored, admission
// control, and the fan-out cost per batch.
import { expect } from 'chai';
import { ChatError, fanoutCounters, parseMessageId } from '../../actors/chat/index.js';
import type { ChatCluster, ChatLeases } from '../../actors/chat/ports.js';
import type { ChatMessageView } from '../../actors/chat/types.js';
import { LocalCluster } from '../../cluster/local/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { silentLogger } from '../../domain/log.js';
import { ChatConnection, DEFAULT_LIMITS } from '../../gateway/socket/connection.js';
import { rendezvousOwner } from '../../actors/chat/ownership.js';
import { eventually, RecordingSink, startClusterNode, startNode, type ClusterNode, type TestNode } from './support/harness.js';
import { MemoryChatStore } from './support/memory-store.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A node that sees no other node and is granted every lease: it sequences every room it is asked to. */
function forcedOwnerView(store: ClusterStore, node: string): ChatCluster {
  const alwaysGranted: ChatLeases = {
    acquire: async () => true,
    renew: async () => true,
    release: async () => {},
    holder: async (name) => ({ name, holder: node, expiresAt: new Date(Date.now() + 60_000).toISOString() }),
  };
  return {
    map: (name) => store.map(name),
    topics: store.topics,
    membership: { onChange: async () => async () => {}, nodes: async () => [{ name: node }] },
    leases: alwaysGranted,
  };
}

/** A room name whose preferred owner among node-a and node-b is `owner`. */
function roomOwnedBy(owner: string, prefix: string): string {
  let room = `${prefix}-0`;
  for (let i = 1; rendezvousOwner(room, ['node-a', 'node-b']) !== owner; i += 1) room = `${prefix}-${i}`;
  return room;
}

type Settled = { ok: true; id: string; body: string } | { ok: false; reason: string; body: string };

async function settle(push: Promise<{ id: string }>, body: string): Promise<Settled> {
  try {
    return { ok: true, id: (await push).id, body };
  } catch (error) {
    return { ok: false, reason: error instanceof ChatError ? error.reason : String(error), body };
  }
}

describe('chat room sequencer', function () {
  this.timeout(20_000);
  let hub: LocalCluster;
  let store: MemoryChatStore;
  let nodes: TestNode[];
  const handles: ClusterStore[] = [];

  beforeEach(() => {
    hub = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 250 });
    store = new MemoryChatStore();
    nodes = [];
  });

  /** node-a and node-b on the shared hub and store, stopped after the test. */
  async function startPair(): Promise<[ClusterNode, ClusterNode]> {
    const a = await startClusterNode('node-a', hub, store);
    const b = await startClusterNode('node-b', hub, store);
    nodes.push(a, b);
    return [a, b];
  }

  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all(handles.splice(0).map((handle) => handle.close()));
  });

  it("delivers the owner's batches to its own members without the room topic, once and in order; the other node gets them from the topic", async () => {
    const room = roomOwnedBy('node-a', 'local');
    const deaf = hub.store();
    handles.push(deaf);
    await deaf.membership.join({ name: 'node-a', host: '127.0.0.1', port: 1, apiPort: 2, startedAt: new Date().toISOString() });
    // node-a never hears room topics: whatever its members get came from its own sequencer.
    const roomTopicsIgnored: ChatCluster = {
      map: (name) => deaf.map(name),
      topics: {
        ...deaf.topics,
        publish: (name, message) => deaf.topics.publish(name, message),
        subscribe: (name, listener) =>
          name.startsWith('chat.room.') ? Promise.resolve(async () => {}) : deaf.topics.subscribe(name, listener),
        destroy: (name) => deaf.topics.destroy(name),
      },
      membership: deaf.membership,
      leases: deaf.leases,
    };
    const a = await startNode('node-a', roomTopicsIgnored, store);
    nodes.push(a);
    const b = await startClusterNode('node-b', hub, store);
    nodes.push(b);
    const [sinkA, sinkB] = [new RecordingSink(), new RecordingSink()];
    await a.api.join({ room, memberId: 'ma', user: 'ann', sink: sinkA });
    await b.api.join({ room, memberId: 'mb', user: 'bob', sink: sinkB });
    const acks = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a.api.send(room, 'ma', `m${i}`) : b.api.send(room, 'mb', `m${i}`))),
    );
    expect(new Set(acks.map((ack) => ack.id)).size).to.equal(6);
    const stored = store.all(room).map((m) => m.body);
    expect(stored).to.have.members(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    await eventually(() => expect(sinkB.bodies()).to.deep.equal(stored));
    expect(sinkA.bodies()).to.deep.equal(stored, 'every message once, in room order, without the topic');

    // With the topic heard too (the usual case), the copy coming back to the owner is not delivered again.
    const heard = roomOwnedBy('node-b', 'heard');
    const sinkHeard = new RecordingSink();
    await b.api.join({ room: heard, memberId: 'mb2', user: 'bob', sink: sinkHeard });
    const copies: unknown[] = [];
    const listener = hub.store();
    handles.push(listener);
    await listener.topics.subscribe(`chat.room.${heard}`, (message) => copies.push(message));
    for (let i = 0; i < 5; i += 1) await b.api.send(heard, 'mb2', `n${i}`);
    await eventually(() => expect(copies).to.have.length(5));
    await delay(50); // the owner's room actor has its topic copies by now (same hub, same dispatch)
    expect(sinkHeard.bodies()).to.deep.equal(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect((await b.cluster.leases.holder(`chat.room-owner.${heard}`))?.holder).to.equal('node-b');
  });

  it('keeps stored ids dense and unique with two owners forced at once; every acked id is stored', async () => {
    const [ha, hb] = [hub.store(), hub.store()];
    handles.push(ha, hb);
    const a = await startNode('node-a', forcedOwnerView(ha, 'node-a'), store);
    const b = await startNode('node-b', forcedOwnerView(hb, 'node-b'), store);
    nodes.push(a, b);
    const sinks = [new RecordingSink(), new RecordingSink()];
    await a.api.join({ room: 'forced', memberId: 'ma', user: 'ann', sink: sinks[0]! });
    await b.api.join({ room: 'forced', memberId: 'mb', user: 'bob', sink: sinks[1]! });
    // Inserts that take a moment, so both owners have batches in flight at the same time.
    store.beforeInsert = () => delay(3);

    const pushes: Array<Promise<Settled>> = [];
    for (let i = 0; i < 60; i += 1) {
      const [node, member] = i % 2 === 0 ? [a, 'ma'] : [b, 'mb'];
      pushes.push(settle(node.api.send('forced', member, `m${i}`), `m${i}`));
      if (i % 10 === 9) await delay(5);
    }
    const results = await Promise.all(pushes);

    const stored = store.all('forced');
    expect(store.duplicates).to.be.greaterThan(0, 'both owners did write: the unique index refused one');
    expect(stored.map((m) => m.seq)).to.deep.equal(
      stored.map((_, i) => i + 1),
      'dense, unique ids',
    );
    expect(new Set(stored.map((m) => m.body)).size).to.equal(stored.length, 'each push stored at most once');
    const byId = new Map(stored.map((m) => [m.seq, m.body]));
    const acked = results.filter((r): r is Extract<Settled, { ok: true }> => r.ok);
    expect(acked.length).to.be.greaterThan(0);
    for (const ack of acked) expect(byId.get(parseMessageId(ack.id)!)).to.equal(ack.body, `acked ${ack.id} is stored`);
    for (const refused of results.filter((r) => !r.ok)) {
      // Refused: `unavailable`/`overloaded` are never stored; `timeout` means unknown.
      if (refused.ok || refused.reason === 'timeout') continue;
      expect([...byId.values()]).to.not.include(refused.body);
    }
    // Both owners' members see the same order: the store's.
    for (const sink of sinks) {
      await eventually(() => expect(sink.messages().map((m) => m.body)).to.deep.equal(stored.map((m) => m.body)));
    }
  });

  it('routes pushes of both nodes to one owner and batches them in few inserts', async () => {
    const [a, b] = await startPair();
    const sa = new RecordingSink();
    const sb = new RecordingSink();
    await a.api.join({ room: 'busy', memberId: 'ma', user: 'ann', sink: sa });
    await b.api.join({ room: 'busy', memberId: 'mb', user: 'bob', sink: sb });
    await a.api.send('busy', 'ma', 'warm-up');
    const insertsBefore = store.inserts.length;
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).api.send('busy', i % 2 === 0 ? 'ma' : 'mb', `m${i}`)),
    );
    expect(new Set(acks.map((ack) => ack.id)).size).to.equal(40);
    expect(store.inserts.length - insertsBefore).to.be.lessThan(40, 'group commit: fewer inserts than messages');
    const leases = await a.cluster.leases.all();
    expect(leases.filter((lease) => lease.name === 'chat.room-owner.busy')).to.have.length(1);
    for (const sink of [sa, sb]) await eventually(() => expect(sink.messages()).to.have.length(41));
  });

  it('refuses at once with overloaded past the room queue, and never stores or delivers a refused push', async () => {
    const a = await startClusterNode('node-a', hub, store, { timing: { maxRoomQueue: 5 } });
    nodes.push(a);
    const sink = new RecordingSink();
    await a.api.join({ room: 'full', memberId: 'ma', user: 'ann', sink });
    store.beforeInsert = () => delay(100);
    const started = Date.now();
    const timed = Array.from({ length: 30 }, (_, i) =>
      settle(a.api.send('full', 'ma', `m${i}`), `m${i}`).then((result) => ({ ...result, ms: Date.now() - started })),
    );
    const results = await Promise.all(timed);
    const refused = results.filter((r) => !r.ok);
    expect(refused.length).to.be.greaterThan(0);
    for (const r of refused) {
      expect(r).to.include({ reason: 'overloaded' });
      expect(r.ms).to.be.lessThan(50, 'refused at once, not after a wait');
    }
    const storedBodies = store.all('full').map((m) => m.body);
    expect(storedBodies).to.deep.equal(results.filter((r) => r.ok).map((r) => r.body));
    await eventually(() => expect(sink.messages().map((m: ChatMessageView) => m.body)).to.deep.equal(storedBodies));
  });

  it('refuses at once with overloaded while the oldest waiting push is older than maxQueueAgeMs, and accepts again once it drained', async () => {
    // The resend and the store timeout well past the 150 ms wait below: a resent push counts as
    // rerouted, which the age rule rightly ignores (the room may be changing owner), and a held
    // insert must not time out; FAST_TIMING's 150 ms and 300 ms would race the wait.
    const slowAnswers = { resendMs: 1_000, storeTimeoutMs: 1_000, gapAbandonMs: 2_000, pushTimeoutMs: 3_000 };
    const timing = { maxQueueAgeMs: 100, queueAgeMinWaiting: 2, ...slowAnswers };
    const a = await startClusterNode('node-a', hub, store, { timing });
    nodes.push(a);
    const sink = new RecordingSink();
    await a.api.join({ room: 'aged', memberId: 'ma', user: 'ann', sink });
    let releaseInsert: () => void = () => {};
    store.beforeInsert = () => new Promise<void>((resolve) => (releaseInsert = resolve));
    const first = settle(a.api.send('aged', 'ma', 'first'), 'first');
    const young = settle(a.api.send('aged', 'ma', 'young'), 'young');
    await delay(150);
    const started = Date.now();
    const late = await settle(a.api.send('aged', 'ma', 'late'), 'late');
    expect(late).to.include({ ok: false, reason: 'overloaded' });
    expect(Date.now() - started).to.be.lessThan(50, 'refused at once, not after a wait');
    store.beforeInsert = () => {};
    releaseInsert();
    expect(await first).to.include({ ok: true });
    expect(await young).to.include({ ok: true });
    expect(await settle(a.api.send('aged', 'ma', 'after'), 'after')).to.include({ ok: true });
    const storedBodies = store.all('aged').map((m) => m.body);
    expect(storedBodies).to.deep.equal(['first', 'young', 'after'], 'the refused push is never stored');
    await eventually(() => expect(sink.messages().map((m: ChatMessageView) => m.body)).to.deep.equal(storedBodies));
  });

  it('keeps a room whose tail read times out, refuses its pushes at once with overloaded, and sequences again once the store answers', async () => {
    const a = await startClusterNode('node-a', hub, store);
    nodes.push(a);
    await store.append({ room: 'stuck', user: 'old', body: 'before', at: 'then' });
    const sink = new RecordingSink();
    await a.api.join({ room: 'stuck', memberId: 'ma', user: 'ann', sink });
    const hung = new Promise<void>(() => {});
    store.beforeRead = () => hung; // every read from now on times out (storeTimeoutMs: 300)

    const first = await settle(a.api.send('stuck', 'ma', 'first'), 'first');
    expect(first).to.include({ ok: false, reason: 'overloaded' }, 'queued while the tail read hung: refused when it timed out');
    const readsAtFirstRefusal = store.reads;
    const lease = 'chat.room-owner.stuck';
    const during: Array<Settled & { ms: number }> = [];
    for (let i = 0; i < 8; i += 1) {
      const started = Date.now();
      during.push({ ...(await settle(a.api.send('stuck', 'ma', `during${i}`), `during${i}`)), ms: Date.now() - started });
      await delay(150); // across several lease renewals (leaseTtlMs: 1 000) and back-off retries
    }
    for (const result of during) {
      expect(result).to.include({ ok: false, reason: 'overloaded' });
      expect(result.ms).to.be.lessThan(50, 'refused at once, not after a store timeout');
    }
    expect((await a.cluster.leases.holder(lease))?.holder).to.equal('node-a', 'the owner kept the room');
    expect(store.reads).to.be.greaterThan(readsAtFirstRefusal, 'the tail read is retried');
    expect(store.reads - readsAtFirstRefusal).to.be.lessThan(40, 'with a back-off, not in a loop');

    store.beforeRead = () => {};
    let recovered: Settled | undefined;
    await eventually(async () => {
      recovered = await settle(a.api.send('stuck', 'ma', 'after'), 'after');
      expect(recovered).to.include({ ok: true });
    });
    expect(recovered).to.include({ id: '000000000002' }, 'continues after the stored tail');
    expect(store.all('stuck').map((m) => m.body)).to.deep.equal(['before', 'after'], 'nothing refused was stored');
    await eventually(() => expect(sink.messages().map((m) => m.body)).to.deep.equal(['after']));
  });

  it('stores a push once when its resend arrives while its insert is still in flight', async () => {
    const [, b] = await startPair();
    const room = roomOwnedBy('node-a', 'slow');
    const sink = new RecordingSink();
    await b.api.join({ room, memberId: 'mb', user: 'bob', sink });
    // Slower than resendMs (150) and faster than storeTimeoutMs (300): every push is resent mid-insert.
    store.beforeInsert = () => delay(250);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => settle(b.api.send(room, 'mb', `m${i}`), `m${i}`)));
    expect(results.every((r) => r.ok)).to.equal(true, JSON.stringify(results));
    const bodies = store.all(room).map((m) => m.body);
    expect(bodies).to.have.length(12, `each push stored once: ${bodies.join(',')}`);
    await eventually(() => expect(sink.messages().map((m) => m.body)).to.deep.equal(bodies));
  });

  it('encodes each batch once, builds frames once per join_ref, writes each socket once per batch', async () => {
    const a = await startClusterNode('node-a', hub, store);
    nodes.push(a);
    const transports = ['1', '1', '7'].map((joinRef) => {
      const writes: string[][] = [];
      const transport = {
        send: (text: string) => writes.push([text]),
        sendMany: (texts: string[]) => writes.push(texts),
        close: () => {},
        bufferedAmount: () => 0,
      };
      const connection = new ChatConnection({
        id: `c${joinRef}-${Math.random()}`,
        chat: a.api,
        transport,
        log: silentLogger,
        limits: DEFAULT_LIMITS,
      });
      return { joinRef, writes, connection };
    });
    for (const { joinRef, connection, writes } of transports) {
      const text = JSON.stringify([joinRef, joinRef, 'room:fan', 'phx_join', { user: `u${joinRef}` }]);
      connection.receiveText(text, text.length);
      await eventually(() => expect(writes.length).to.be.at.least(2)); // join reply + presence_state
    }
    const pusher = new RecordingSink();
    await a.api.join({ room: 'fan', memberId: 'pusher', user: 'p', sink: pusher });
    const toldOfPusher = (writes: string[][]) => writes.flat().some((w) => w.includes('"presence_diff"') && w.includes('"p":'));
    for (const t of transports) await eventually(() => expect(toldOfPusher(t.writes)).to.equal(true));
    for (const t of transports) t.writes.length = 0;
    // The first insert is slow, so the next pushes queue up and go in one batch.
    let first = true;
    store.beforeInsert = async () => {
      if (first) await delay(100);
      first = false;
    };
    const encodes = fanoutCounters.payloadEncodes;
    const frames = fanoutCounters.frameBuilds;
    await Promise.all(Array.from({ length: 12 }, (_, i) => a.api.send('fan', 'pusher', `m${i}`)));
    const batches = store.inserts.length;
    expect(batches).to.be.lessThan(12);
    expect(fanoutCounters.payloadEncodes - encodes).to.equal(batches, 'one payload encode per batch');
    expect(fanoutCounters.frameBuilds - frames).to.equal(batches * 2, 'one frame build per distinct join_ref per batch');
    for (const { writes } of transports) {
      await eventually(() => expect(writes.flat()).to.have.length(12));
      expect(writes).to.have.length(batches, 'one socket write per member per batch');
    }
    expect(pusher.deliveries).to.equal(batches);
  });

  it('destroys the topic of a room nobody is in any more, not of one with members elsewhere', async () => {
    const destroyed: string[] = [];
    const spied = (store: ClusterStore): ChatCluster => ({
      map: (name) => store.map(name),
      membership: store.membership,
      leases: store.leases,
      topics: {
        publish: (topic, message) => store.topics.publish(topic, message),
        subscribe: (topic, listener) => store.topics.subscribe(topic, listener),
        destroy: async (topic) => {
          destroyed.push(topic);
          await store.topics.destroy(topic);
        },
      },
    });
    const [ha, hb] = [hub.store(), hub.store()];
    handles.push(ha, hb);
    const timing = { idleAfterMs: 50 };
    const a = await startNode('node-a', spied(ha), store, { timing });
    const b = await startNode('node-b', spied(hb), store, { timing });
    nodes.push(a, b);
    await a.api.join({ room: 'quiet', memberId: 'ma', user: 'ann', sink: new RecordingSink() });
    await a.api.join({ room: 'shared', memberId: 'ma2', user: 'ann', sink: new RecordingSink() });
    await b.api.join({ room: 'shared', memberId: 'mb', user: 'bob', sink: new RecordingSink() });
    a.api.leave('quiet', 'ma');
    a.api.leave('shared', 'ma2');
    await eventually(() => expect(destroyed).to.include('chat.room.quiet'));
    // Room `shared` went idle on node a too, but bob is still in it on node b.
    await delay(200);
    expect(destroyed).to.not.include('chat.room.shared');
    b.api.leave('shared', 'mb');
    await eventually(() => expect(destroyed).to.include('chat.room.shared'));
  });

  it('fails over when the owner dies: no acked message lost, order kept, pushes acked again, ids dense', async () => {
    const [a, b] = await startPair();
    const room = roomOwnedBy('node-b', 'crash');
    const sa = new RecordingSink();
    await a.api.join({ room, memberId: 'ma', user: 'ann', sink: sa });
    await b.api.join({ room, memberId: 'mb', user: 'bob', sink: new RecordingSink() });
    expect(await a.api.send(room, 'ma', 'first')).to.have.property('id');
    expect((await b.cluster.leases.holder(`chat.room-owner.${room}`))?.holder).to.equal('node-b');

    const results: Array<Promise<Settled & { sentAt: number }>> = [];
    let killedAt = 0;
    for (let i = 0; i < 60; i += 1) {
      const sentAt = Date.now();
      results.push(settle(a.api.send(room, 'ma', `m${i}`), `m${i}`).then((r) => ({ ...r, sentAt })));
      if (i === 20) {
        killedAt = Date.now();
        await b.kill();
      }
      await delay(25);
    }
    const settled = await Promise.all(results);
    const stored = store.all(room);
    expect(stored.map((m) => m.seq)).to.deep.equal(
      stored.map((_, i) => i + 1),
      'dense, unique ids',
    );
    expect(new Set(stored.map((m) => m.body)).size).to.equal(stored.length);
    const byId = new Map(stored.map((m) => [m.seq, m.body]));
    for (const r of settled) if (r.ok) expect(byId.get(parseMessageId(r.id)!)).to.equal(r.body);
    const after = settled.filter((r) => r.ok && r.sentAt > killedAt);
    expect(after.length).to.be.greaterThan(0, 'pushes are acked again after the owner died');
    expect((await a.cluster.leases.holder(`chat.room-owner.${room}`))?.holder).to.equal('node-a');
    await eventually(() => expect(sa.messages().map((m) => m.body)).to.deep.equal(stored.map((m) => m.body)));
  });
});
