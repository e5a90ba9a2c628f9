import { expect } from 'chai';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { frameBatchWriter, frameWriterCounters, wireBytes } from '../../gateway/socket/frame-writer.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { MemoryChatStore } from './support/memory-store.js';
import { eventually } from './support/harness.js';
import { ChatClient, startChatServer, type ChatServer } from './support/e2e.js';
import { freePort } from '../support/ports.js';

/** A ws server and a connected ws client; `server` is the server side of the connection. */
async function socketPair(serverOptions: { perMessageDeflate?: boolean } = {}): Promise<{
  wss: WebSocketServer;
  server: WebSocket;
  client: WebSocket;
  received: string[];
}> {
  const port = await freePort();
  const wss = new WebSocketServer({ port, host: '127.0.0.1', ...serverOptions });
  await once(wss, 'listening');
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: serverOptions.perMessageDeflate ?? false });
  const received: string[] = [];
  client.on('message', (data, isBinary) => {
    if (!isBinary) received.push(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
  });
  await once(client, 'open');
  const [server] = await accepted;
  return { wss, server, client, received };
}

async function closePair(pair: { wss: WebSocketServer; client: WebSocket }): Promise<void> {
  pair.client.terminate();
  await new Promise<void>((resolve) => pair.wss.close(() => resolve()));
}

describe('chat frame writer: wire bytes built once, one write per member', function () {
  this.timeout(15_000);

  it('frames of every length class (7-bit, 16-bit, 64-bit) arrive intact and in order, mixed with ws.send', async () => {
    const pair = await socketPair();
    try {
      const short = 'héllo';
      const medium = 'ü'.repeat(200);
      const long = `${'€'.repeat(30_000)}end`;
      const direct = frameWriterCounters.directWrites;
      const sendBatch = frameBatchWriter(pair.server);
      pair.server.send('before');
      sendBatch([short, medium, long]);
      pair.server.send('between');
      sendBatch(['']);
      pair.server.send('after');
      expect(frameWriterCounters.directWrites - direct).to.equal(2, 'both batches written straight to the TCP socket');
      await eventually(() => expect(pair.received).to.deep.equal(['before', short, medium, long, 'between', '', 'after']));
    } finally {
      await closePair(pair);
    }
  });

  it('builds the wire bytes once per frames array, whatever the number of sockets', () => {
    const texts = ['[null,null,"room:x","new_msg",{}]', 'second'];
    const builds = frameWriterCounters.wireBuilds;
    const first = wireBytes(texts);
    expect(wireBytes(texts)).to.equal(first);
    expect(frameWriterCounters.wireBuilds - builds).to.equal(1);
    expect(wireBytes([...texts])).to.deep.equal(first);
    expect(frameWriterCounters.wireBuilds - builds).to.equal(2);
  });

  it('falls back to ws.send per frame when permessage-deflate was negotiated', async () => {
    const pair = await socketPair({ perMessageDeflate: true });
    try {
      expect(pair.server.extensions).to.include('permessage-deflate');
      const fallback = frameWriterCounters.fallbackWrites;
      pair.server.send('one');
      frameBatchWriter(pair.server)(['two', 'three'.repeat(100)]);
      pair.server.send('four');
      expect(frameWriterCounters.fallbackWrites - fallback).to.equal(1);
      await eventually(() => expect(pair.received).to.deep.equal(['one', 'two', 'three'.repeat(100), 'four']));
    } finally {
      await closePair(pair);
    }
  });

  describe('with the real phoenix client', () => {
    let hub: LocalCluster;
    let server: ChatServer;
    let clients: ChatClient[];

    beforeEach(async () => {
      hub = new LocalCluster({ heartbeatIntervalMs: 100, nodeDownAfterMs: 500 });
      server = await startChatServer('node-a', hub, new MemoryChatStore());
      clients = [];
    });

    afterEach(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    });

    it('members receive every new_msg written directly, with multi-byte and long bodies, in order', async () => {
      const ann = new ChatClient(server.url, 'frames', 'ann');
      const bob = new ChatClient(server.url, 'frames', 'bob');
      clients.push(ann, bob);
      await ann.join();
      await bob.join();
      const bodies = ['plain', 'ünïcödé €', 'x'.repeat(300), '日本語'.repeat(1_000)];
      const direct = frameWriterCounters.directWrites;
      for (const body of bodies) await ann.send(body);
      for (const c of [ann, bob]) await eventually(() => expect(c.messages.map((m) => m.body)).to.deep.equal(bodies));
      expect(frameWriterCounters.directWrites - direct).to.be.at.least(bodies.length * 2);
      const ids = ann.messages.map((m) => m.id);
      expect(ids).to.deep.equal([...ids].sort());
    });
  });
});
