// The fixed-rate load of B6 (load_testing/rate-load.ts, rategen) against a real local server: the
// rate, the headers, every answer's status, transport errors and an early release.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startRateLoad } from '../../load_testing/rate-load.js';
import { LatencyHistogram } from '../../load_testing/histogram.js';

describe('load_testing rategen rate load', function () {
  this.timeout(30_000);
  const servers: Server[] = [];

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('sends the rate for the duration with each request’s X-Real-IP, and counts every status', async () => {
    const seen: Array<{ path: string; ip: string | undefined }> = [];
    const target = await serve((req, res) => {
      seen.push({ path: req.url ?? '', ip: req.headers['x-real-ip'] as string | undefined });
      if (req.url === '/gone') res.writeHead(404).end();
      else res.writeHead(302, { Location: `http://edge${req.url ?? ''}` }).end();
    });
    const load = startRateLoad(
      {
        target,
        rps: 200,
        durationMs: 2_000,
        connections: 10,
        requests: [{ path: '/live/a', ip: '10.0.0.1' }, { path: '/live/b', ip: '10.0.0.2' }, { path: '/gone' }],
      },
      { niceness: 5 },
    );
    const raw = await load.result;
    expect(raw.responses).to.equal(400);
    expect(raw.statusCounts).to.deep.equal({ '302': 267, '404': 133 });
    expect(raw.errorTotal).to.equal(0);
    expect(raw.durationS).to.be.within(1.9, 2.1);
    expect(raw.timeline.reduce((sum, s) => sum + s.count, 0)).to.equal(400);
    expect(LatencyHistogram.fromJSON(raw.latency).count).to.equal(400);
    expect(seen.filter((s) => s.path === '/live/a').every((s) => s.ip === '10.0.0.1')).to.equal(true);
    expect(seen.filter((s) => s.path === '/live/b').every((s) => s.ip === '10.0.0.2')).to.equal(true);
    expect(seen.filter((s) => s.path === '/gone').every((s) => s.ip === undefined)).to.equal(true);
  });

  it('is open loop: requests due during a 200 ms server stall, queued for one of 5 connections, count their wait from when they were due', async () => {
    let stallFrom = 0;
    const target = await serve((req, res) => {
      if (stallFrom === 0) stallFrom = Date.now() + 500;
      const now = Date.now();
      if (now >= stallFrom && now < stallFrom + 200) while (Date.now() < stallFrom + 200); // the loop stands still
      if (req.url === '/bye') res.writeHead(302, { Location: 'http://edge/bye', Connection: 'close' }).end();
      else res.writeHead(302, { Location: 'http://edge/x', 'Content-Length': '0' }).end();
    });
    const raw = await startRateLoad({
      target,
      rps: 200,
      durationMs: 1_500,
      connections: 5,
      requests: [{ path: '/x' }, { path: '/x' }, { path: '/bye' }],
    }).result;
    expect(raw.statusCounts).to.deep.equal({ '302': 300 });
    const latency = LatencyHistogram.fromJSON(raw.latency);
    expect(latency.percentile(100)).to.be.within(150, 400, 'the first request due in the stall waited it out');
    const uncounted = raw.timeline.reduce((sum, s) => sum + s.count, 0) - latency.count; // 0: every answer counted
    expect(uncounted).to.equal(0);
    // ~40 requests were due during the stall; about half of them waited more than 100 ms.
    expect(latency.count - countBelow(latency, 100)).to.be.within(12, 30);
    expect(latency.percentile(50)).to.be.lessThan(20);
  });

  it('does not count the requests due during the warm-up', async () => {
    let served = 0;
    const target = await serve((_req, res) => {
      served++;
      res.writeHead(302, { Location: 'http://edge/x', 'Content-Length': '0' }).end();
    });
    const raw = await startRateLoad({ target, rps: 100, durationMs: 2_000, warmupMs: 1_000, connections: 5, requests: [{ path: '/x' }] })
      .result;
    expect(served).to.equal(200);
    expect(raw.statusCounts).to.deep.equal({ '302': 100 });
    expect(raw.durationS).to.be.within(0.95, 1.0);
    expect(raw.timeline.map((s) => s.count)).to.deep.equal([100]);
  });

  it('a release at once, before rategen could handle a signal, still ends the run with its results (not killed by SIGINT)', async () => {
    const target = await serve((_req, res) => res.writeHead(302, { Location: 'http://edge/x' }).end());
    const load = startRateLoad({ target, rps: 100, durationMs: 60_000, connections: 2, requests: [{ path: '/x' }] });
    load.release();
    const raw = await load.result;
    expect(raw.responses).to.be.lessThan(10);
    expect(raw.errorTotal).to.equal(0);
  });

  it('a release ends the run early with what was sent; a closed port is counted as errors', async () => {
    const target = await serve((_req, res) => res.writeHead(302, { Location: 'http://edge/x' }).end());
    const load = startRateLoad({ target, rps: 100, durationMs: 60_000, connections: 5, requests: [{ path: '/x' }] });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const released = Date.now();
    load.release();
    const raw = await load.result;
    expect(Date.now() - released).to.be.lessThan(5_000);
    expect(raw.responses).to.be.within(50, 150);
    expect(raw.statusCounts).to.deep.equal({ '302': raw.responses });

    const closed = await serve(() => {});
    const port = new URL(closed).port;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const refused = await startRateLoad({
      target: `http://127.0.0.1:${port}`,
      rps: 50,
      durationMs: 500,
      connections: 2,
      requests: [{ path: '/x' }],
    }).result;
    expect(refused.responses).to.equal(0);
    expect(refused.errorTotal).to.equal(25);
    expect(Object.keys(refused.errors).join()).to.match(/connection refused/);
  });
});

/** How many recorded latencies are below `ms` (from the percentiles: the histogram has no counter for it). */
function countBelow(histogram: LatencyHistogram, ms: number): number {
  let low = 0;
  let high = histogram.count;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (histogram.percentile((mid / histogram.count) * 100) < ms) low = mid;
    else high = mid - 1;
  }
  return low;
}
