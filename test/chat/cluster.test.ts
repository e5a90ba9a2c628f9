// Clustered chat on real processes: FerretDB, a Hazelcast member and three nodes, driven by
// the real `phoenix` client in Node. The last two tests stop node c, then kill node b, each
// while it sequences a room that others keep pushing to (docs/decisions.md, "Chat: one
// sequencer per room").
import { expect } from 'chai';
import { rendezvousOwner } from '../../actors/chat/ownership.js';
import type { ChatMessageView } from '../../actors/chat/types.js';
import { http } from '../support/http.js';
import type { TestNode } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';
import { PhoenixUser, RawSocket, roomHistory, socketUrl, startChatStack, type ChatStack, type PushResult } from './support/cluster.js';

const ids = (messages: ChatMessageView[]) => messages.map((m) => m.id);
const acked = (results: PushResult[]) => results.flatMap((r) => ('id' in r ? [r] : []));
const failed = (results: PushResult[]) => results.flatMap((r) => ('error' in r ? [r] : []));

/** A room name whose owner among `live` is `owner` (the rendezvous hash, before any lease). */
function roomOwnedBy(prefix: string, owner: TestNode, live: TestNode[]): string {
  for (let i = 0; ; i += 1) {
    const room = `${prefix}-${i}`;
    if (
      rendezvousOwner(
        room,
        live.map((node) => node.name),
      ) === owner.name
    )
      return room;
  }
}

describe('chat: three real nodes on Hazelcast and FerretDB @integration', function () {
  this.timeout(30_000);
  let stack: ChatStack | undefined;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  let users: PhoenixUser[] = [];

  const user = (node: TestNode, room: string, name: string, options?: { lastSeenId?: string }) => {
    const u = new PhoenixUser(socketUrl(node), room, name, options);
    users.push(u);
    return u;
  };

  before(async function () {
    this.timeout(120_000);
    stack = await startChatStack(3);
    [a, b, c] = stack.nodes as [TestNode, TestNode, TestNode];
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${stack?.recentOutput(40)}\n`);
    await Promise.all(users.map((u) => u.close()));
    users = [];
  });

  after(async function () {
    this.timeout(60_000);
    await stack?.stop();
  });

  it('gives users on both nodes every message in the same order, ids ascending', async () => {
    const senders = [user(a, 'order', 'ann'), user(b, 'order', 'bob'), user(a, 'order', 'cara'), user(b, 'order', 'dan')];
    const listener = user(b, 'order', 'eve');
    const everyone = [...senders, listener];
    await Promise.all(everyone.map((u) => u.join()));

    // 40 messages/s into one room from two nodes: well within what FerretDB takes on a busy
    // 2-core machine (each store append waits for the previous one of its node).
    const perSender = 25;
    const results = await Promise.all(
      senders.map((s) =>
        s.sendPaced(
          Array.from({ length: perSender }, (_, i) => `${s.user} ${i}`),
          100,
        ),
      ),
    );
    for (const result of results)
      expect(
        result.filter((r) => 'error' in r),
        'refused pushes',
      ).to.deep.equal([]);
    const total = senders.length * perSender;
    for (const u of everyone) {
      await waitFor(`${u.user} to receive ${total} messages`, 15_000, async () => (u.log.length >= total ? true : undefined));
    }

    const order = ids(everyone[0]!.log);
    expect(order).to.have.length(total);
    expect(order, 'ids ascending').to.deep.equal([...order].sort());
    expect(new Set(order).size).to.equal(total);
    for (const u of everyone.slice(1)) expect(u.log, `${u.user} saw the same sequence`).to.deep.equal(everyone[0]!.log);
    // Each sender's messages in the order it sent them, with the ids it was acked.
    senders.forEach((s, i) => {
      const mine = everyone[0]!.log.filter((m) => m.user === s.user);
      expect(mine.map((m) => m.body)).to.deep.equal(Array.from({ length: perSender }, (_, n) => `${s.user} ${n}`));
      expect(mine.map((m) => m.id)).to.deep.equal(acked(results[i]!).map((r) => r.id));
    });
    expect(ids(await roomHistory(a, 'order'))).to.deep.equal(order);
  });

  it('keeps the presence list right on both nodes (Presence.syncState/syncDiff)', async () => {
    const ann = user(a, 'presence', 'ann');
    const bob = user(b, 'presence', 'bob');
    const bob2 = user(a, 'presence', 'bob');
    const cara = user(b, 'presence', 'cara');
    const all = [ann, bob, bob2, cara];
    await Promise.all(all.map((u) => u.join()));
    const full = [
      { user: 'ann', nodes: [a.name] },
      { user: 'bob', nodes: [a.name, b.name].sort() },
      { user: 'cara', nodes: [b.name] },
    ];
    for (const u of all) {
      await waitFor(`${u.user}@${u.url} to see everyone`, 5_000, async () =>
        JSON.stringify(u.syncedUsers()) === JSON.stringify(full) ? true : undefined,
      );
      expect(u.users()).to.deep.equal(full);
    }

    await new Promise<void>((resolve) => cara.channel.leave().receive('ok', () => resolve()));
    await bob2.close();
    const rest = [
      { user: 'ann', nodes: [a.name] },
      { user: 'bob', nodes: [b.name] },
    ];
    for (const u of [ann, bob]) {
      await waitFor(`${u.user} to see cara and bob@a leave`, 5_000, async () =>
        JSON.stringify(u.syncedUsers()) === JSON.stringify(rest) ? true : undefined,
      );
      expect(u.users()).to.deep.equal(rest);
    }
    const rooms = await http(`${b.adminUrl}/api/v1/chat/rooms`);
    expect((rooms.body as { rooms: unknown[] }).rooms).to.deep.include({
      name: 'presence',
      members: 2,
      connections: 2,
      lastMessageId: null,
    });
  });

  it('recovers exactly the missed messages with last_seen_id, on the same node and on the other', async () => {
    const ann = user(a, 'recover', 'ann');
    const bob = user(b, 'recover', 'bob');
    await Promise.all([ann.join(), bob.join()]);
    const before = acked(await ann.sendPaced(['one', 'two'], 60));
    await waitFor('bob to see two messages', 5_000, async () => (bob.log.length === 2 ? true : undefined));

    // bob's connection drops; the phoenix client rejoins with the last id it saw.
    await bob.disconnect();
    const missed = acked(await ann.sendPaced(['three', 'four', 'five'], 60));
    expect(missed).to.have.length(3);
    bob.socket.connect();
    await waitFor('bob to rejoin', 10_000, async () => (bob.joinReplies.length === 2 ? true : undefined));
    const rejoin = bob.joinReplies[1]!;
    expect(rejoin.recovered).to.equal(true);
    expect(ids(rejoin.messages)).to.deep.equal(missed.map((m) => m.id));
    expect(bob.log.map((m) => m.body)).to.deep.equal(['one', 'two', 'three', 'four', 'five']);

    // A user who saw only "two" comes back through the other node.
    const again = user(a, 'recover', 'dan', { lastSeenId: before[1]!.id });
    const reply = await again.join();
    expect(reply.recovered).to.equal(true);
    expect(reply.messages.map((m) => m.body)).to.deep.equal(['three', 'four', 'five']);
    await ann.send('six');
    for (const u of [ann, bob, again]) {
      await waitFor(`${u.user} to see "six"`, 5_000, async () => (u.log.at(-1)?.body === 'six' ? true : undefined));
    }
    expect(ids(bob.log)).to.deep.equal(ids(ann.log));

    // An id the room never had: the latest page, and recovered says it may be incomplete.
    const stranger = user(b, 'recover', 'erin', { lastSeenId: '000000099999' });
    expect(await stranger.join()).to.deep.include({ recovered: false });
  });

  it('answers malformed and oversized frames, unknown topics and floods as the spec says, and stays up', async () => {
    for (const [bad, code] of [
      ['{"not":"a frame"}', 1008],
      ['not json at all', 1008],
      // Over the frame limit: ws refuses it before reading it (maxPayload), docs/security.md.
      [JSON.stringify(['1', '1', 'room:x', 'new_msg', { body: 'x'.repeat(70 * 1024) }]), 1009],
    ] as const) {
      const raw = new RawSocket(socketUrl(a));
      await raw.opened();
      raw.send(bad);
      expect((await raw.closed).code, bad.slice(0, 30)).to.equal(code);
    }

    const raw = new RawSocket(socketUrl(b));
    try {
      await raw.opened();
      raw.send(['1', '1', 'lobby:nope', 'phx_join', { user: 'x' }]);
      expect(await raw.reply('1')).to.deep.equal({ status: 'error', response: { reason: 'unmatched topic' } });
      raw.send(['2', '2', 'room:bad name', 'phx_join', { user: 'x' }]);
      expect(await raw.reply('2')).to.deep.include({ status: 'error' });
      raw.send([null, '3', 'room:flood', 'new_msg', { body: 'not joined' }]);
      expect(await raw.reply('3')).to.deep.equal({ status: 'error', response: { reason: 'unmatched topic' } });
      raw.send(['4', '4', 'room:flood', 'phx_join', { user: 'flooder' }]);
      expect(await raw.reply('4')).to.deep.include({ status: 'ok' });

      for (let i = 0; i < 60; i += 1) raw.send(['4', `f${i}`, 'room:flood', 'new_msg', { body: `flood ${i}` }]);
      const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => raw.reply(`f${i}`, 10_000)));
      const limited = replies.filter((r) => r.status === 'error' && r.response.reason === 'rate_limited').length;
      const ok = replies.filter((r) => r.status === 'ok').length;
      expect(ok + limited).to.equal(60);
      expect(ok).to.be.within(20, 25);
      expect(limited).to.be.at.least(35);

      raw.send([null, 'hb', 'phoenix', 'heartbeat', {}]);
      expect(await raw.reply('hb')).to.deep.equal({ status: 'ok', response: {} });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      raw.send(['4', 'later', 'room:flood', 'new_msg', { body: 'after a pause' }]);
      expect(await raw.reply('later')).to.deep.include({ status: 'ok' });
    } finally {
      raw.close();
    }

    for (const node of [a, b]) {
      expect(node.hasExited(), `${node.name} is running`).to.equal(false);
      expect((await http(`${node.adminUrl}/ready`)).status).to.equal(200);
    }
    expect(a.output.join('\n')).to.contain('protocol violation').and.to.contain('Max payload size exceeded');
    const probe = user(a, 'after-abuse', 'ok');
    await probe.join();
    expect(await probe.send('still here')).to.have.property('id');
  });

  it('when a node stops with SIGTERM, its users leave presence elsewhere at once, and pushes to its rooms go on', async () => {
    const ann = user(a, 'drain', 'ann');
    const gus = user(c, 'drain', 'gus');
    await Promise.all([ann.join(), gus.join()]);
    await waitFor('ann to see gus', 5_000, async () => (ann.syncedUsers().length === 2 ? true : undefined));
    // A room that node c sequences, busy while c stops: no push may fail.
    const busyRoom = roomOwnedBy('drain-busy', c, [a, b, c]);
    const [amy, ben] = [user(a, busyRoom, 'amy'), user(b, busyRoom, 'ben')];
    await Promise.all([amy.join(), ben.join()]);
    expect(await amy.send('before')).to.have.property('id');
    const sending = Promise.all([
      amy.sendPaced(
        Array.from({ length: 40 }, (_, i) => `amy ${i}`),
        50,
      ),
      ben.sendPaced(
        Array.from({ length: 40 }, (_, i) => `ben ${i}`),
        50,
      ),
    ]);
    await waitFor('pushes under way', 5_000, async () => (amy.acks.length >= 5 ? true : undefined));
    const stoppedAt = Date.now();
    c.process.kill('SIGTERM');
    expect(await c.exited).to.equal(0);
    const results = (await sending).flat();
    expect(failed(results)).to.deep.equal([]);
    const stored = new Map((await roomHistory(a, busyRoom)).map((m) => [m.id, m.body]));
    for (const r of acked(results)) expect(stored.get(r.id), `acked ${r.id}`).to.equal(r.body);
    expect(stored.size).to.equal(81);
    await waitFor("gus to leave ann's presence", 3_000, async () =>
      JSON.stringify(ann.syncedUsers()) === JSON.stringify([{ user: 'ann', nodes: [a.name] }]) ? true : undefined,
    );
    expect(Date.now() - stoppedAt).to.be.below(10_000);
    const rooms = await http(`${a.adminUrl}/api/v1/chat/rooms`);
    expect((rooms.body as { rooms: Array<{ name: string }> }).rooms.find((r) => r.name === 'drain')).to.include({
      members: 1,
      connections: 1,
    });
  });

  it('when a room owner is SIGKILLed: its users leave presence within 15 s, no acked message is lost, pushes resume within 10 s', async () => {
    const room = roomOwnedBy('failover', b, [a, b]);
    const ann = user(a, room, 'ann');
    const bob = user(b, room, 'bob');
    const cara = user(b, room, 'cara');
    await Promise.all([ann, bob, cara].map((u) => u.join()));
    await waitFor('ann to see bob and cara', 5_000, async () => (ann.syncedUsers().length === 3 ? true : undefined));

    // ann and bob keep sending while the owner (bob's node) dies; only what was acked counts.
    const annAcks: Array<{ sentAt: number; ackedAt: number }> = [];
    const annSending = (async () => {
      const all: Array<Promise<PushResult>> = [];
      for (let i = 0; i < 100; i += 1) {
        const sentAt = Date.now();
        all.push(
          ann.send(`ann ${i}`).then((r) => {
            if ('id' in r) annAcks.push({ sentAt, ackedAt: Date.now() });
            return r;
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return Promise.all(all);
    })();
    const bobSending = bob.sendPaced(
      Array.from({ length: 40 }, (_, i) => `bob ${i}`),
      60,
    );
    await waitFor("some of bob's messages to be acked", 5_000, async () => (bob.acks.length >= 10 ? true : undefined));
    const killedAt = Date.now();
    b.process.kill('SIGKILL');
    expect(await b.exited).to.equal(null);

    await waitFor("bob and cara to leave ann's presence", 15_000, async () =>
      JSON.stringify(ann.syncedUsers()) === JSON.stringify([{ user: 'ann', nodes: [a.name] }]) ? true : undefined,
    );
    expect(Date.now() - killedAt).to.be.below(15_000);
    expect(ann.users()).to.deep.equal([{ user: 'ann', nodes: [a.name] }]);

    const results = [...(await bobSending), ...(await annSending)];
    const ackedIds = acked(results).map((r) => r.id);
    expect(ackedIds.length).to.be.at.least(10);
    const resumed = annAcks.filter((ack) => ack.sentAt > killedAt).map((ack) => ack.ackedAt - killedAt);
    expect(Math.min(...resumed), 'a push made after the kill is acked within 10 s of it').to.be.below(10_000);
    const history = await roomHistory(a, room);
    const stored = new Map(history.map((m) => [m.id, m.body]));
    for (const r of acked(results)) expect(stored.get(r.id), `acked ${r.id}`).to.equal(r.body);
    expect(new Set(history.map((m) => m.body)).size).to.equal(history.length, 'no message stored twice');
    // Acked messages also reached the member on the surviving node, in order.
    await waitFor('ann to have every acked message', 5_000, async () =>
      ackedIds.every((id) => ann.log.some((m) => m.id === id)) ? true : undefined,
    );
    expect(ids(ann.log)).to.deep.equal([...ids(ann.log)].sort());

    const rooms = await http(`${a.adminUrl}/api/v1/chat/rooms`);
    expect((rooms.body as { rooms: Array<{ name: string }> }).rooms.find((r) => r.name === room)).to.include({
      members: 1,
      connections: 1,
    });

    // bob comes back through node a and gets what he missed.
    const bobAgain = user(a, room, 'bob', { lastSeenId: bob.lastSeenId! });
    const reply = await bobAgain.join();
    expect(reply.recovered).to.equal(true);
    await waitFor('bob to have caught up with ann', 5_000, async () =>
      JSON.stringify([...ids(bob.log), ...ids(reply.messages)]) === JSON.stringify(ids(ann.log)) ? true : undefined,
    );
  });
});
