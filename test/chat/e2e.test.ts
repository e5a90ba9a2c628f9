import { expect } from 'chai';
import Fastify from 'fastify';
import { WebSocket } from 'ws';
import { ask } from '../../actors/kernel/index.js';
import type { ChatMsg } from '../../actors/chat/registry.js';
import type { RoomMsg } from '../../actors/chat/room.js';
import type { ActorRef } from '../../actors/kernel/types.js';
import { registerChatSocket } from '../../gateway/socket/index.js';
import { silentLogger } from '../../domain/log.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { MemoryChatStore } from './support/memory-store.js';
import { eventually } from './support/harness.js';
import { ChatClient, startChatServer, type ChatServer } from './support/e2e.js';
import { captureLogger } from '../support/capture-logger.js';

function rawSocket(url: string, protocols?: string[]): WebSocket {
  return new WebSocket(`${url}/websocket?vsn=2.0.0`, protocols);
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function refusedStatus(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    ws.on('error', () => {}); // aborting the refused handshake emits one
    ws.once('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      request.destroy();
    });
    ws.once('open', () => reject(new Error('the socket was accepted')));
  });
}

describe('chat end to end: phoenix client, two nodes, one cluster', function () {
  this.timeout(15_000);
  let hub: LocalCluster;
  let store: MemoryChatStore;
  let servers: ChatServer[];
  let clients: ChatClient[];
  let a: ChatServer;
  let b: ChatServer;

  const client = (server: ChatServer, room: string, user: string, options?: ConstructorParameters<typeof ChatClient>[3]) => {
    const c = new ChatClient(server.url, room, user, options);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    hub = new LocalCluster({ heartbeatIntervalMs: 100, nodeDownAfterMs: 500 });
    store = new MemoryChatStore();
    servers = [];
    clients = [];
    a = await startChatServer('node-a', hub, store);
    servers.push(a);
    b = await startChatServer('node-b', hub, store);
    servers.push(b);
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('users on different nodes see the same messages in the same order and the same presence', async () => {
    const ann = client(a, 'e2e', 'ann');
    const bob = client(b, 'e2e', 'bob');
    const cara = client(a, 'e2e', 'cara');
    for (const c of [ann, bob, cara]) await c.join();
    for (const c of [ann, bob, cara]) {
      await eventually(() =>
        expect(c.users()).to.deep.equal([
          ['ann', 1],
          ['bob', 1],
          ['cara', 1],
        ]),
      );
    }

    const acks = await Promise.all([0, 1, 2, 3, 4].flatMap((i) => [ann.send(`ann ${i}`), bob.send(`bob ${i}`), cara.send(`cara ${i}`)]));
    expect(new Set(acks.map((ack) => ack.id)).size).to.equal(15);
    for (const c of [ann, bob, cara]) await eventually(() => expect(c.messages).to.have.length(15));
    const order = ann.messages.map((m) => m.id);
    expect(order).to.deep.equal([...order].sort());
    for (const c of [bob, cara]) expect(c.messages).to.deep.equal(ann.messages);
    expect(ann.messages.filter((m) => m.user === 'bob').map((m) => m.body)).to.deep.equal([0, 1, 2, 3, 4].map((i) => `bob ${i}`));

    await new Promise<void>((resolve) => bob.channel.leave().receive('ok', () => resolve()));
    for (const c of [ann, cara])
      await eventually(() =>
        expect(c.users()).to.deep.equal([
          ['ann', 1],
          ['cara', 1],
        ]),
      );
  });

  it('a client that reconnects elsewhere recovers what it missed with last_seen_id', async () => {
    const ann = client(a, 'rec', 'ann');
    await ann.join();
    const first = await ann.send('one');
    await ann.send('two');
    await ann.send('three');

    const dan = client(b, 'rec', 'dan', { lastSeenId: first.id });
    const reply = await dan.join();
    expect(reply.recovered).to.equal(true);
    expect(reply.messages.map((m) => m.body)).to.deep.equal(['two', 'three']);
    await ann.send('four');
    await eventually(() => expect(dan.messages.map((m) => m.body)).to.deep.equal(['four']));
  });

  it('when a node dies, its users leave presence elsewhere and recover on another node', async () => {
    const ann = client(a, 'failover', 'ann');
    const bob = client(b, 'failover', 'bob');
    await ann.join();
    await bob.join();
    await eventually(() =>
      expect(bob.users()).to.deep.equal([
        ['ann', 1],
        ['bob', 1],
      ]),
    );
    await bob.send('before the crash');
    await eventually(() => expect(ann.messages).to.have.length(1));

    await a.kill();
    await eventually(() => expect(bob.users()).to.deep.equal([['bob', 1]]), 5_000);
    await bob.send('while ann was away');

    // The phoenix client keeps retrying node a; the user comes back through node b.
    const annAgain = client(b, 'failover', 'ann', { lastSeenId: ann.lastSeenId! });
    const reply = await annAgain.join();
    expect(reply).to.deep.include({ recovered: true });
    expect(reply.messages.map((m) => m.body)).to.deep.equal(['while ann was away']);
    await eventually(() =>
      expect(bob.users()).to.deep.equal([
        ['ann', 1],
        ['bob', 1],
      ]),
    );
  });

  it('the phoenix client rejoins after a server-side channel failure (phx_error)', async () => {
    const ann = client(a, 'boom', 'ann');
    await ann.join();
    await ann.send('before');
    // Crash the room actor on node a; its members get phx_error and the client rejoins.
    const ref = await ask<ChatMsg, ActorRef<RoomMsg> | undefined>(
      a.node.chat.ref,
      (replyTo) => ({ type: 'room-ref', room: 'boom', replyTo }),
      1000,
    );
    ref!.tell({ type: 'presence-change', change: null } as unknown as RoomMsg); // a bug in the room
    await eventually(() => expect(ann.errors).to.have.length(1));
    await eventually(() => expect(ann.channel.state).to.equal('joined'));
    await ann.send('after');
    expect(ann.messages.map((m) => m.body)).to.deep.equal(['before', 'after']);
  });

  it('closes the socket with 1008 on a malformed frame and 1009 on an oversized one, and logs why', async () => {
    const log = captureLogger();
    const c = await startChatServer('node-c', hub, store, { log });
    servers.push(c);
    const ws = rawSocket(c.url);
    await opened(ws);
    const done = closed(ws);
    ws.send('{"not":"a frame"}');
    expect(await done).to.deep.include({ code: 1008 });
    expect(log.text()).to.contain('frame must be a JSON array');

    const big = rawSocket(c.url);
    await opened(big);
    const bigDone = closed(big);
    big.send(JSON.stringify(['1', '1', 'room:a', 'new_msg', { body: 'x'.repeat(70 * 1024) }]));
    expect(await bigDone).to.deep.include({ code: 1009 });
    expect(log.text()).to.contain('Max payload size exceeded');
  });

  it('answers heartbeats and refuses other protocol versions', async () => {
    const ws = rawSocket(a.url);
    await opened(ws);
    const reply = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
    ws.send('[null,"1","phoenix","heartbeat",{}]');
    expect(await reply).to.deep.equal([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    ws.close();
    const old = new WebSocket(`${a.url}/websocket?vsn=1.0.0`);
    expect(await refusedStatus(old)).to.equal(400);
  });

  it('closes sockets with 1001 (going away) when the node shuts down', async () => {
    const ws = rawSocket(a.url);
    await opened(ws);
    const done = closed(ws);
    await a.stop();
    expect(await done).to.deep.include({ code: 1001 });
  });

  it('with CHAT_REQUIRE_AUTH refuses sockets without a valid token and takes the user from it', async () => {
    const log = captureLogger();
    const secure = await startChatServer('node-s', hub, store, {
      requireAuth: true,
      verifyToken: (token) => (token === 'good-token' ? 'admin@example.com' : undefined),
      log,
    });
    servers.push(secure);
    expect(await refusedStatus(rawSocket(secure.url))).to.equal(403);
    expect(await refusedStatus(new WebSocket(`${secure.url}/websocket?vsn=2.0.0&token=bad-token`))).to.equal(403);

    // Never in the URL (docs/security.md): even a valid token there is refused.
    expect(await refusedStatus(new WebSocket(`${secure.url}/websocket?vsn=2.0.0&token=good-token`))).to.equal(403);

    const viaProtocol = client(secure, 'auth', 'whoever', { authToken: 'good-token' });
    await viaProtocol.join();
    await viaProtocol.send('hello');
    expect(viaProtocol.messages[0]).to.include({ user: 'admin@example.com', body: 'hello' });
    await eventually(() => expect(viaProtocol.users()).to.deep.equal([['admin@example.com', 1]]));
    expect(log.text()).to.not.contain('good-token');
  });

  it('serves rooms and history over HTTP with clear 400s', async () => {
    const ann = client(a, 'http-room', 'ann');
    await ann.join();
    for (let i = 1; i <= 5; i += 1) await ann.send(`m${i}`);

    const rooms = await b.app.inject({ method: 'GET', url: '/api/v1/chat/rooms' });
    expect(rooms.statusCode).to.equal(200);
    expect(rooms.json().rooms).to.deep.include({ name: 'http-room', members: 1, connections: 1, lastMessageId: '000000000005' });

    const page = await b.app.inject({ method: 'GET', url: '/api/v1/chat/rooms/http-room/messages?limit=2&before=000000000005' });
    expect(page.statusCode).to.equal(200);
    expect(page.json().messages.map((m: { body: string }) => m.body)).to.deep.equal(['m3', 'm4']);
    const latest = await b.app.inject({ method: 'GET', url: '/api/v1/chat/rooms/http-room/messages' });
    expect(latest.json().messages).to.have.length(5);

    const bad = await b.app.inject({ method: 'GET', url: '/api/v1/chat/rooms/bad%20room/messages?limit=500&before=x' });
    expect(bad.statusCode).to.equal(400);
    expect(bad.json().details.map((d: { field: string }) => d.field)).to.deep.equal(['room', 'before', 'limit']);
  });
});

describe('chat socket registration', () => {
  it('refuses to start with CHAT_REQUIRE_AUTH but no way to check tokens', async () => {
    const app = Fastify();
    try {
      const chat = { join: () => Promise.reject(new Error('unused')), leave: () => {}, send: () => Promise.reject(new Error('unused')) };
      let error: unknown;
      try {
        await registerChatSocket(app, { chat, requireAuth: true, nodeName: 'n', log: silentLogger });
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.contain('verifyToken');
    } finally {
      await app.close();
    }
  });
});
