// The checked redirect load (load_testing/checked-load.ts) and its HTTP/1.1 connection,
// against real local servers: every answer classified, nothing skipped without being counted.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { expect } from 'chai';
import { startCheckedLoad, type CheckedLoadSnapshot, type CheckedRequest } from '../../load_testing/checked-load.js';
import { Http1Connection, getRequest, headerOf, type Http1Outcome } from '../../load_testing/http1-connection.js';
import { startRedirectLoad } from '../cluster/support/redirect-load.js';
import { sleep, waitFor } from '../support/wait.js';

const REQUESTS: CheckedRequest[] = [
  { path: '/live/a', ip: '10.0.0.1', locations: ['http://edge-1/live/a', 'http://edge-2/live/a'] },
  { path: '/live/b', ip: '10.0.0.2', locations: ['http://edge-1/live/b'] },
];

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const redirectRight: Handler = (req, res) => {
  res.writeHead(302, ['Location', `http://edge-1${req.url ?? ''}`, 'Content-Length', '0']);
  res.end();
};

async function listen(server: Server | NetServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('load_testing checked redirect load', () => {
  const servers: Array<Server | NetServer> = [];
  const serve = async (handler: Handler): Promise<string> => {
    const server = createHttpServer(handler);
    servers.push(server);
    return listen(server);
  };

  afterEach(async () => {
    for (const s of servers.splice(0)) {
      if ('closeAllConnections' in s) s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('reads answers split over packets and several answers on one keep-alive connection', async () => {
    const server = createNetServer((socket) => {
      let seen = 0;
      socket.on('data', (chunk) => {
        seen += chunk.toString().split('\r\n\r\n').length - 1;
        if (seen === 1) {
          socket.write('HTTP/1.1 302 Found\r\nLOCATION: http://x/1\r\nContent-Le');
          setTimeout(() => socket.write('ngth: 0\r\n\r\n'), 20);
        } else socket.write('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 19\r\n\r\nService Unavailable');
      });
    });
    servers.push(server);
    const url = new URL(await listen(server));
    const connection = new Http1Connection(url.hostname, Number(url.port), () => undefined);
    const ask = (): Promise<Http1Outcome> =>
      new Promise((resolve) => connection.send(getRequest(url.host, '/p', { 'X-Real-IP': '10.0.0.1' }), resolve));
    const first = await ask();
    expect(first.ok && first.answer.status).to.equal(302);
    if (first.ok) expect(headerOf(first.answer, 'location')).to.equal('http://x/1');
    const second = await ask();
    expect(second.ok && [second.answer.status, second.answer.body, headerOf(second.answer, 'retry-after')]).to.deep.equal([
      503,
      'Service Unavailable',
      '1',
    ]);
    connection.destroy('done');
  });

  it('counts right redirects, wrong ones, shed answers and refused connections per target', async () => {
    const right = await serve(redirectRight);
    const wrong = await serve((req, res) => {
      res.writeHead(302, ['Location', `http://elsewhere${req.url ?? ''}`, 'Content-Length', '0']);
      res.end();
    });
    const shed = await serve((_req, res) => {
      res.writeHead(503, ['Retry-After', '1', 'Content-Length', '19']);
      res.end('Service Unavailable');
    });
    const refusedServer = createHttpServer();
    const refused = await listen(refusedServer);
    await new Promise<void>((resolve) => refusedServer.close(() => resolve()));

    const load = startCheckedLoad({
      targets: [
        { name: 'right', url: right },
        { name: 'wrong', url: wrong },
        { name: 'shed', url: shed },
        { name: 'refused', url: refused },
      ],
      requests: REQUESTS,
      rps: 400,
    });
    await sleep(500);
    const { targets } = await load.stop();
    for (const name of ['right', 'wrong', 'shed', 'refused']) {
      const t = targets[name]!;
      expect(t.due, name).to.be.greaterThan(10);
      expect(t.sent + t.missed, name).to.equal(t.due);
    }
    expect(targets.right!.ok).to.equal(targets.right!.sent);
    expect(targets.right!.failed).to.equal(0);
    expect(targets.right!.latency.count).to.equal(targets.right!.ok);
    expect(targets.wrong!.failed).to.equal(targets.wrong!.sent);
    expect(targets.wrong!.samples[0]).to.match(/\/live\/[ab]: 302 http:\/\/elsewhere\/live\/[ab]$/);
    expect(targets.shed!.shed).to.equal(targets.shed!.sent);
    expect(targets.refused!.failed).to.equal(targets.refused!.sent);
    expect(targets.refused!.samples[0]).to.match(/ECONNREFUSED/);
  });

  it('counts a request due while every connection is busy as missed, and times out what gets no answer', async () => {
    const held: ServerResponse[] = [];
    const silent = await serve((_req, res) => void held.push(res));
    const load = startCheckedLoad({
      targets: [{ name: 'silent', url: silent }],
      requests: REQUESTS,
      rps: 200,
      connectionsPerTarget: 2,
      timeoutMs: 300,
    });
    await sleep(200);
    const during = load.control({ op: 'snapshot' }).targets.silent!;
    expect(during.sent).to.equal(2);
    expect(during.missed).to.equal(during.due - 2);
    expect(during.missed).to.be.greaterThan(10);
    const { targets } = await load.stop();
    expect(targets.silent!.failed).to.be.at.least(2);
    expect(targets.silent!.samples[0]).to.match(/no answer within 300 ms/);
  });

  it('does not time out an answer that arrived while the generator itself stood still', async () => {
    let answered = 0;
    const url = await serve((req, res) => {
      redirectRight(req, res);
      answered += 1;
      // The answer is on its way; now this whole process (the generator too) stalls for longer
      // than the timeout, as a descheduled load process does on a busy machine.
      if (answered === 3) {
        const until = performance.now() + 600;
        while (performance.now() < until);
      }
    });
    const load = startCheckedLoad({ targets: [{ name: 'edge', url }], requests: REQUESTS, rps: 50, timeoutMs: 200 });
    await waitFor('answers after the stall', 5_000, () => answered > 10);
    const snapshot = await load.stop();
    const tally = snapshot.targets.edge!;
    expect(tally.failed, tally.samples.join('\n')).to.equal(0);
    expect(tally.ok).to.equal(tally.sent);
    expect(snapshot.maxOwnStallMs).to.be.at.least(400);
  });

  it('moves the whole rate to the other targets when one is excluded, and counts afresh after a reset', async () => {
    const a = await serve(redirectRight);
    const b = await serve(redirectRight);
    const load = startCheckedLoad({
      targets: [
        { name: 'a', url: a },
        { name: 'b', url: b },
      ],
      requests: REQUESTS,
      rps: 300,
    });
    await sleep(200);
    load.control({ op: 'exclude', name: 'b' });
    const reset = load.control({ op: 'reset' });
    expect(reset.targets).to.deep.equal({});
    await sleep(400);
    const after: CheckedLoadSnapshot = await load.stop();
    expect(after.targets.b).to.equal(undefined);
    // b's share goes to a: a is due the whole rate (the schedule catches up on every tick)
    expect(after.targets.a!.due).to.be.within(0.6 * 300 * after.windowS, 300 * after.windowS + 2);
    expect(after.targets.a!.ok).to.equal(after.targets.a!.sent);
  });

  it('runs in a child process and answers its commands there', async function () {
    this.timeout(60_000);
    const target = new URL(await serve(redirectRight));
    const load = await startRedirectLoad([{ name: 'only', host: target.hostname, port: Number(target.port) }], REQUESTS, 200);
    try {
      await load.reset();
      await waitFor('answers counted in the child', 10_000, async () => ((await load.figures()).targets.get('only')?.ok ?? 0) > 20);
      const figures = await load.stop();
      const only = figures.targets.get('only')!;
      expect(only.failed, only.samples.join('\n')).to.equal(0);
      expect(only.answered).to.equal(only.ok);
      expect(figures.achievedRps).to.be.greaterThan(0);
    } finally {
      load.kill();
    }
  });
});
