import net from 'node:net';
import { expect } from 'chai';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { silentLogger } from '../../domain/log.js';
import { buildClientServer } from '../../gateway/client/server.js';
import { GOING_AWAY, gracefulShutdown } from '../../gateway/shutdown.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

async function listen(app: FastifyInstance): Promise<string> {
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  return `127.0.0.1:${port}`;
}

describe('gateway/shutdown: graceful shutdown', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) {
      app.server.closeAllConnections();
      await app.close().catch(() => {});
    }
  });

  it('lets an in-flight request finish and then stops accepting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const app = Fastify();
    apps.push(app);
    app.get('/slow', async () => {
      entered();
      await gate;
      return { done: true };
    });
    const host = await listen(app);

    const inFlight = fetch(`http://${host}/slow`).then(async (res) => ({ status: res.status, body: await res.json() }));
    await inside;
    const shutdown = gracefulShutdown({ servers: [app], log: silentLogger, deadlineMs: 5000 });
    setImmediate(release);
    expect(await inFlight).to.deep.equal({ status: 200, body: { done: true } });
    const result = await shutdown;
    expect(result.clean).to.equal(true);

    let refused = false;
    await fetch(`http://${host}/slow`).catch(() => {
      refused = true;
    });
    expect(refused).to.equal(true);
  });

  it('closes WebSockets with 1001 (going away) and runs before/after in order', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(websocket);
    app.get('/ws', { websocket: true }, (socket) => {
      socket.send('hello');
    });
    const host = await listen(app);
    const client = new WebSocket(`ws://${host}/ws`);
    await new Promise<void>((resolve, reject) => {
      client.once('message', () => resolve());
      client.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));

    const steps: string[] = [];
    const result = await gracefulShutdown({
      servers: [app],
      log: silentLogger,
      before: async () => void steps.push('before'),
      after: async () => void steps.push('after'),
    });
    expect(await closed).to.equal(GOING_AWAY);
    expect(result.clean).to.equal(true);
    expect(steps).to.deep.equal(['before', 'after']);
  });

  it('gives up at the deadline and drops what is left', async () => {
    const app = Fastify();
    apps.push(app);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    app.get('/hang', () => {
      entered();
      return new Promise(() => {});
    });
    const host = await listen(app);
    const hanging = fetch(`http://${host}/hang`).then(
      () => 'answered',
      () => 'dropped',
    );
    await inside;
    const result = await gracefulShutdown({ servers: [app], log: silentLogger, deadlineMs: 300 });
    expect(result.clean).to.equal(false);
    expect(result.elapsedMs).to.be.lessThan(2000);
    expect(await hanging).to.equal('dropped');
  });

  it('never throws when a step fails', async () => {
    const app = Fastify();
    apps.push(app);
    await listen(app);
    const result = await gracefulShutdown({
      servers: [app],
      log: silentLogger,
      before: async () => {
        throw new Error('handover failed');
      },
    });
    expect(result.clean).to.equal(true);
  });
});

describe('gateway/shutdown: the client port while it closes', () => {
  it('answers a request that completes on an open connection after the close began (no 503)', async () => {
    const app = await buildClientServer({
      readiness: () => [],
      routes: (server) => {
        server.get('/vod/a', async (_request, reply) => reply.redirect('http://edge.example/a', 302));
      },
    });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    // A proxy's connection with a request under way when the close begins (its head only
    // partly received): Node keeps such a connection open, so the request reaches the router.
    const socket = net.connect(port, '127.0.0.1');
    const answer = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /vod/a HTTP/1.1\r\nHost: x\r\n');
    const shutdown = gracefulShutdown({ servers: [app], log: silentLogger, deadlineMs: 5000 });
    await waitFor('the server to stop listening', 2000, async () => !app.server.listening, { everyMs: 5 });
    socket.write('\r\n');
    const head = (await answer).split('\r\n');
    expect(head[0]).to.equal('HTTP/1.1 302 Found');
    expect(head.map((line) => line.toLowerCase())).to.include('connection: close');
    expect((await shutdown).clean).to.equal(true);
  });
});
