// Abuse limits of the chat socket (docs/security.md, "Chat"): Origin allowlist, socket caps per
// client address and per node, every frame in the rate limit, ws maxPayload at the frame
// limit, and tokens only in a header (never in a URL that proxies log).
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { LocalCluster } from '../../cluster/local/index.js';
import { MemoryChatStore } from './support/memory-store.js';
import { ChatClient, startChatServer, type ChatServer } from './support/e2e.js';

type Options = Parameters<typeof startChatServer>[3];

function socket(server: ChatServer, headers: Record<string, string> = {}, query = ''): WebSocket {
  return new WebSocket(`${server.url}/websocket?vsn=2.0.0${query}`, { headers });
}

/** 101 → 'open'; a refused handshake → its HTTP status. */
function outcome(ws: WebSocket): Promise<'open' | number> {
  return new Promise((resolve) => {
    ws.on('error', () => {});
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      request.destroy();
    });
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('chat socket abuse limits', function () {
  this.timeout(20_000);
  let hub: LocalCluster;
  const servers: ChatServer[] = [];
  const sockets: WebSocket[] = [];

  async function server(options: Options = {}): Promise<ChatServer> {
    const started = await startChatServer(`abuse-${servers.length}`, hub, new MemoryChatStore(), options);
    servers.push(started);
    return started;
  }
  function track(ws: WebSocket): WebSocket {
    sockets.push(ws);
    return ws;
  }

  beforeEach(() => {
    hub = new LocalCluster({ heartbeatIntervalMs: 100, nodeDownAfterMs: 500 });
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    for (const s of servers.splice(0)) await s.stop();
  });

  it("by default accepts the node's own origin and clients without Origin, refuses other sites (403)", async () => {
    const s = await server();
    expect(await outcome(track(socket(s, { origin: `http://127.0.0.1:${s.port}` })))).to.equal('open');
    expect(await outcome(track(socket(s)))).to.equal('open');
    expect(await outcome(track(socket(s, { origin: 'https://evil.example' })))).to.equal(403);
    expect(await outcome(track(socket(s, { origin: `http://127.0.0.1:${s.port + 1}` })))).to.equal(403);
  });

  it('CHAT_ALLOWED_ORIGINS replaces the default', async () => {
    const s = await server({ allowedOrigins: ['https://chat.example.com'] });
    expect(await outcome(track(socket(s, { origin: 'https://chat.example.com' })))).to.equal('open');
    expect(await outcome(track(socket(s, { origin: `http://127.0.0.1:${s.port}` })))).to.equal(403);
  });

  it('caps sockets per client address (429) and frees the slot when one closes', async () => {
    const s = await server({ maxSockets: 10, maxSocketsPerClient: 2 });
    const first = track(socket(s));
    expect(await outcome(first)).to.equal('open');
    expect(await outcome(track(socket(s)))).to.equal('open');
    expect(await outcome(track(socket(s)))).to.equal(429);
    const gone = closeCode(first);
    first.close();
    await gone;
    let again: 'open' | number = 429;
    for (let i = 0; i < 50 && again !== 'open'; i += 1) again = await outcome(track(socket(s)));
    expect(again).to.equal('open');
  });

  it('caps sockets per node (503)', async () => {
    const s = await server({ maxSockets: 2, maxSocketsPerClient: 2 });
    expect(await outcome(track(socket(s)))).to.equal('open');
    expect(await outcome(track(socket(s)))).to.equal('open');
    expect(await outcome(track(socket(s)))).to.equal(503);
  });

  for (const [what, frame] of [
    ['heartbeats', '[null,"1","phoenix","heartbeat",{}]'],
    ['frames for unmatched topics', '["1","1","room:nobody-joined","new_msg",{"body":"x"}]'],
  ] as const) {
    it(`counts ${what} in the rate limit: a flood closes the socket (1008)`, async () => {
      const s = await server();
      const ws = track(socket(s));
      expect(await outcome(ws)).to.equal('open');
      const code = closeCode(ws);
      for (let i = 0; i < 1000 && ws.readyState === WebSocket.OPEN; i += 1) ws.send(frame);
      expect(await code).to.equal(1008);
    });
  }

  it('ws itself refuses a frame over the frame limit (maxPayload: 1009)', async () => {
    const s = await server({ limits: { maxFrameBytes: 1024 } });
    const ws = track(socket(s));
    expect(await outcome(ws)).to.equal('open');
    const code = closeCode(ws);
    ws.send(JSON.stringify(['1', '1', 'room:x', 'new_msg', { body: 'x'.repeat(1100) }]));
    expect(await code).to.equal(1009);
  });

  it('a token in the URL is refused, even a valid one; the phoenix client sends it in a header', async () => {
    const s = await server({ requireAuth: true, verifyToken: (token) => (token === 'good-token' ? 'admin@example.com' : undefined) });
    expect(await outcome(track(socket(s, {}, '&token=good-token')))).to.equal(403);
    const viaHeader = new ChatClient(s.url, 'auth', 'whoever', { authToken: 'good-token' });
    try {
      await viaHeader.join();
    } finally {
      viaHeader.socket.disconnect();
    }
  });
});
