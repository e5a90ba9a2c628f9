import { expect } from 'chai';
import { ask } from '../../actors/kernel/index.js';
import { ChatError, formatMessageId, parseMessageId, PRESENCE_MAP, roomTopic } from '../../actors/chat/index.js';
import type { ChatMsg } from '../../actors/chat/registry.js';
import type { RoomInfo, RoomMsg } from '../../actors/chat/room.js';
import type { ActorRef } from '../../actors/kernel/types.js';
import type { JoinResult, PresenceEntry, PresenceState, StoredChatMessage } from '../../actors/chat/types.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { rejection } from '../support/rejection.js';
import { MemoryChatStore } from './support/memory-store.js';
import { applyDiff, eventually, RecordingSink, startClusterNode, type ClusterNode, type TestNode } from './support/harness.js';

let memberSeq = 0;
async function join(
  node: TestNode,
  room: string,
  user: string,
  extra: { lastSeenId?: string } = {},
): Promise<{ sink: RecordingSink; memberId: string; result: JoinResult }> {
  memberSeq += 1;
  const sink = new RecordingSink();
  const memberId = `${node.name}-m${memberSeq}`;
  const result = await node.api.join({ room, memberId, user, sink, ...extra });
  return { sink, memberId, result };
}

async function roomInfo(node: TestNode, room: string): Promise<RoomInfo> {
  const ref = await ask<ChatMsg, ActorRef<RoomMsg> | undefined>(node.chat.ref, (replyTo) => ({ type: 'room-ref', room, replyTo }), 1000);
  if (ref === undefined) throw new Error(`no room ${room} on ${node.name}`);
  return ask<RoomMsg, RoomInfo>(ref, (replyTo) => ({ type: 'info', replyTo }), 1000);
}

describe('chat rooms on two simulated nodes (LocalCluster)', () => {
  let hub: LocalCluster;
  let store: MemoryChatStore;
  let nodes: ClusterNode[];
  let a: ClusterNode;
  let b: ClusterNode;
  const presenceUsers = async (): Promise<string[]> => {
    const probe = hub.store();
    try {
      return (await probe.map<PresenceEntry>(PRESENCE_MAP).entries()).map(([, v]) => v.value.user).sort();
    } finally {
      await probe.close();
    }
  };

  beforeEach(async () => {
    hub = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 250 });
    store = new MemoryChatStore();
    a = await startClusterNode('node-a', hub, store);
    b = await startClusterNode('node-b', hub, store);
    nodes = [a, b];
  });

  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('delivers concurrent pushes from both nodes in the same order everywhere, ids ascending', async () => {
    const members = [await join(a, 'lobby', 'ann'), await join(a, 'lobby', 'al'), await join(b, 'lobby', 'bob')];
    // Slow down some inserts so that publish order differs from sequence order.
    store.afterInsert = async (batch) => {
      if (batch[0]!.seq % 3 === 1) await new Promise((resolve) => setTimeout(resolve, 15));
    };
    const pushes: Array<Promise<{ id: string }>> = [];
    for (let i = 0; i < 12; i += 1) {
      const [node, member] = i % 2 === 0 ? [a, members[0]!] : [b, members[2]!];
      pushes.push(node.api.send('lobby', member.memberId, `msg ${i}`));
    }
    const acks = await Promise.all(pushes);
    expect(new Set(acks.map((ack) => ack.id)).size).to.equal(12);

    const stored = store.all('lobby').map((m) => m.body);
    for (const { sink } of members) {
      await eventually(() => expect(sink.messages()).to.have.length(12));
      expect(sink.bodies()).to.deep.equal(stored);
      const ids = sink.messages().map((m) => m.id);
      expect(ids).to.deep.equal([...ids].sort());
      expect(ids.map((id) => parseMessageId(id))).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    }
  });

  it('acks only after the message reached the members on the pusher node', async () => {
    const ann = await join(a, 'r1', 'ann');
    const { id } = await a.api.send('r1', ann.memberId, 'hello');
    expect(ann.sink.messages().map((m) => m.id)).to.deep.equal([id]);
    expect(ann.sink.messages()[0]).to.include({ user: 'ann', body: 'hello' });
  });

  it('fills a gap from the store when a message never came through the topic', async () => {
    const bob = await join(b, 'gap', 'bob');
    const ann = await join(a, 'gap', 'ann');
    // Stored but never published (its pusher died between the two steps).
    await store.append({ room: 'gap', user: 'ghost', body: 'lost on the wire', at: new Date().toISOString() });
    await a.api.send('gap', ann.memberId, 'after');
    for (const sink of [ann.sink, bob.sink]) {
      await eventually(() => expect(sink.bodies()).to.deep.equal(['lost on the wire', 'after']));
    }
  });

  it('gives up on a sequence missing from the store, then keeps going in order', async () => {
    const bob = await join(b, 'hole', 'bob');
    const ann = await join(a, 'hole', 'ann');
    // Seq 1 was removed from the database by hand; seq 2 is announced on the topic.
    const two: StoredChatMessage = { room: 'hole', seq: 2, user: 'bob', body: 'two', at: new Date().toISOString() };
    await store.insert([two]);
    const probe = hub.store();
    await probe.topics.publish(roomTopic('hole'), { type: 'batch', messages: [two] });
    await probe.close();
    for (const sink of [ann.sink, bob.sink]) await eventually(() => expect(sink.bodies()).to.deep.equal(['two']));
    const three = await b.api.send('hole', bob.memberId, 'three');
    expect(parseMessageId(three.id)).to.equal(3);
    for (const sink of [ann.sink, bob.sink]) await eventually(() => expect(sink.bodies()).to.deep.equal(['two', 'three']));
  });

  it('refuses pushes from non-members, bad bodies, and reports a store failure', async () => {
    const ann = await join(a, 'rules', 'ann');
    const notJoined = await rejection(a.api.send('rules', 'nobody', 'hi'));
    expect(notJoined).to.be.instanceOf(ChatError).with.property('reason', 'not_joined');
    const otherRoom = await rejection(a.api.send('elsewhere', ann.memberId, 'hi'));
    expect(otherRoom).to.be.instanceOf(ChatError).with.property('reason', 'not_joined');
    const empty = await rejection(a.api.send('rules', ann.memberId, '  '));
    expect(empty).to.be.instanceOf(ChatError).with.property('reason', 'invalid_body');
    store.down = true;
    const down = await rejection(a.api.send('rules', ann.memberId, 'hi'));
    // `overloaded` (the room's sequencer cannot read the store and retries with a back-off) and
    // `unavailable`: certainly not stored; `timeout`: unknown (the store could not be read back).
    expect(down).to.be.instanceOf(ChatError);
    expect(['overloaded', 'unavailable', 'timeout']).to.include((down as ChatError).reason);
    store.down = false;
    // Accepted again once the sequencer's next read succeeds (the push id keeps retries single).
    let back: { id: string } | undefined;
    await eventually(async () => {
      back = await a.api.send('rules', ann.memberId, 'back', 'back-1');
    });
    expect(back).to.have.property('id', formatMessageId(1));
    expect(store.all('rules').map((m) => m.body)).to.deep.equal(['back']);
  });

  it('reads back an insert whose outcome is unknown: the push is stored and acked once', async () => {
    const ann = await join(a, 'slow', 'ann');
    let slowOnce = true;
    store.beforeInsert = async () => {
      if (!slowOnce) return;
      slowOnce = false;
      await new Promise((resolve) => setTimeout(resolve, 400)); // longer than storeTimeoutMs
    };
    const { id } = await a.api.send('slow', ann.memberId, 'late', 'client-1');
    expect(parseMessageId(id)).to.equal(1);
    expect(store.all('slow').map((m) => m.body)).to.deep.equal(['late']);
    const again = await a.api.send('slow', ann.memberId, 'late', 'client-1');
    expect(again.id).to.equal(id);
    await a.api.send('slow', ann.memberId, 'next');
    await eventually(() => expect(ann.sink.bodies()).to.deep.equal(['late', 'next']));
    expect(store.all('slow').map((m) => m.body)).to.deep.equal(['late', 'next']);
  });

  it('gives history on join and recovers from last_seen_id', async () => {
    const ann = await join(a, 'hist', 'ann');
    const ids: string[] = [];
    for (let i = 1; i <= 5; i += 1) ids.push((await a.api.send('hist', ann.memberId, `m${i}`)).id);

    const fresh = await join(b, 'hist', 'bob');
    expect(fresh.result.recovered).to.equal(true);
    expect(fresh.result.messages.map((m) => m.body)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);

    const back = await join(b, 'hist', 'carol', { lastSeenId: ids[1]! });
    expect(back.result.recovered).to.equal(true);
    expect(back.result.messages.map((m) => m.body)).to.deep.equal(['m3', 'm4', 'm5']);

    const unknown = await join(b, 'hist', 'dave', { lastSeenId: 'garbage' });
    expect(unknown.result.recovered).to.equal(false);
    expect(unknown.result.messages).to.have.length(5);
  });

  it('merges the presence diffs of a join storm: few frames per member, every view right', async () => {
    const first = await join(a, 'storm', 'first');
    const storm = await Promise.all(Array.from({ length: 30 }, (_, i) => join(i % 2 === 0 ? a : b, 'storm', `u${i}`)));
    const everyone = ['first', ...storm.map((_, i) => `u${i}`)].sort();
    for (const member of [first, ...storm]) {
      await eventually(() => {
        let view: PresenceState = member.result.presence;
        for (const diff of member.sink.diffs()) view = applyDiff(view, diff);
        expect(Object.keys(view).sort()).to.deep.equal(everyone);
        for (const { metas } of Object.values(view)) expect(metas).to.have.length(1);
      });
    }
    const frames = Math.max(...[first, ...storm].map((member) => member.sink.diffs().length));
    expect(frames).to.be.lessThan(10, '30 joins reach each member in a few merged presence_diffs, not 30');
    storm[0]!.sink.diffs().forEach((diff) => expect(Object.keys(diff.joins)).to.not.include('u0', 'not its own join'));
  });

  it('keeps presence in sync across nodes: state on join, diffs on join and leave', async () => {
    const ann = await join(a, 'pres', 'ann');
    expect(Object.keys(ann.result.presence)).to.deep.equal(['ann']);
    expect(ann.result.presence.ann!.metas[0]).to.include({ node: 'node-a', phx_ref: ann.result.phxRef });

    const bob = await join(b, 'pres', 'bob');
    await eventually(() => expect(Object.keys(bob.result.presence).sort()).to.deep.equal(['ann', 'bob']));
    await eventually(() => expect(ann.sink.diffs()).to.have.length(1));
    expect(Object.keys(ann.sink.diffs()[0]!.joins)).to.deep.equal(['bob']);
    expect(bob.sink.diffs()).to.deep.equal([]); // its own join is in its presence_state

    const ann2 = await join(b, 'pres', 'ann'); // a second connection of ann, on the other node
    let annView: PresenceState = ann.result.presence;
    await eventually(() => expect(ann.sink.diffs()).to.have.length(2));
    for (const diff of ann.sink.diffs()) annView = applyDiff(annView, diff);
    expect(annView.ann!.metas.map((m) => m.node).sort()).to.deep.equal(['node-a', 'node-b']);

    b.api.leave('pres', ann2.memberId);
    await eventually(() => expect(ann.sink.diffs()).to.have.length(3));
    annView = applyDiff(annView, ann.sink.diffs()[2]!);
    expect(annView.ann!.metas.map((m) => m.node)).to.deep.equal(['node-a']);
    expect(Object.keys(annView).sort()).to.deep.equal(['ann', 'bob']);
    const rooms = await a.api.rooms();
    expect(rooms.find((r) => r.name === 'pres')).to.deep.include({ members: 2, connections: 2 });
  });

  it('removes the presence of a node that went down and tells the members left', async () => {
    const c = await startClusterNode('node-c', hub, store);
    nodes.push(c);
    const bob = await join(b, 'down', 'bob');
    await join(c, 'down', 'carl');
    await eventually(() => expect(bob.sink.diffs()).to.have.length(1));

    await c.kill(); // no goodbye: its presence stays in the cluster map until it is declared down
    expect(await presenceUsers()).to.deep.equal(['bob', 'carl']);

    await eventually(() => expect(bob.sink.diffs()).to.have.length(2), 3_000);
    expect(Object.keys(bob.sink.diffs()[1]!.leaves)).to.deep.equal(['carl']);
    await eventually(async () => expect(await presenceUsers()).to.deep.equal(['bob']));
    // Both survivors purge; that makes no second leave.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bob.sink.diffs()).to.have.length(2);
  });

  it('errors the members of a room that crashes; the room restarts fresh', async () => {
    const ann = await join(a, 'crash', 'ann');
    const ref = await ask<ChatMsg, ActorRef<RoomMsg> | undefined>(
      a.chat.ref,
      (replyTo) => ({ type: 'room-ref', room: 'crash', replyTo }),
      1000,
    );
    ref!.tell({ type: 'presence-change', change: null } as unknown as RoomMsg); // a bug in the room
    await eventually(() => expect(ann.sink.failures).to.deep.equal(['crashed']));
    await eventually(async () => expect(await presenceUsers()).to.deep.equal([]));
    const again = await join(a, 'crash', 'ann');
    await a.api.send('crash', again.memberId, 'still works');
    expect(again.sink.bodies()).to.deep.equal(['still works']);
  });

  it('hibernates a room without members and wakes it up with the right position', async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    a = await startClusterNode('node-a', hub, store, { timing: { idleAfterMs: 30 } });
    b = await startClusterNode('node-b', hub, store, { timing: { idleAfterMs: 30 } });
    nodes = [a, b];
    const ann = await join(a, 'nap', 'ann');
    await a.api.send('nap', ann.memberId, 'before');
    a.api.leave('nap', ann.memberId);
    await eventually(async () => expect((await roomInfo(a, 'nap')).phase).to.equal('idle'));

    const bob = await join(b, 'nap', 'bob');
    await b.api.send('nap', bob.memberId, 'while asleep');
    const back = await join(a, 'nap', 'ann');
    expect(back.result.messages.map((m) => m.body)).to.deep.equal(['before', 'while asleep']);
    expect((await roomInfo(a, 'nap')).lastDelivered).to.equal(2);
    await b.api.send('nap', bob.memberId, 'after');
    await eventually(() => expect(back.sink.bodies()).to.deep.equal(['after']));
  });

  it('ignores malformed messages on the room topic', async () => {
    const ann = await join(a, 'junk', 'ann');
    await b.cluster.topics.publish(roomTopic('junk'), { nonsense: true });
    await b.cluster.topics.publish<StoredChatMessage>(roomTopic('junk'), { room: 'other', seq: 1, user: 'x', body: 'y', at: 'z' });
    await a.api.send('junk', ann.memberId, 'real');
    await eventually(() => expect(ann.sink.bodies()).to.deep.equal(['real']));
  });

  it('answers history pages and rejects bad queries', async () => {
    const ann = await join(a, 'pages', 'ann');
    for (let i = 1; i <= 7; i += 1) await a.api.send('pages', ann.memberId, `m${i}`);
    expect((await b.api.history({ room: 'pages', limit: 3 })).map((m) => m.body)).to.deep.equal(['m5', 'm6', 'm7']);
    expect((await b.api.history({ room: 'pages', limit: 2, before: formatMessageId(5) })).map((m) => m.body)).to.deep.equal(['m3', 'm4']);
    const bad = await rejection(b.api.history({ room: 'pages', limit: 2, before: 'x' }));
    expect(bad).to.be.instanceOf(ChatError).with.property('reason', 'invalid_before');
  });
});
