import { expect } from 'chai';
import { probe, probeUrl } from '../../../actors/routing/health/index.js';
import { freePort } from '../../support/ports.js';
import { serverAt, startFakeEdge, type EdgeMode, type FakeEdge } from './support.js';

const opts = { timeoutMs: 300, userAgent: 'test-probe' };

describe('health probe @integration', () => {
  let edge: FakeEdge;

  before(async () => {
    edge = await startFakeEdge();
    edge.slowMs = 1_000;
  });

  after(async () => {
    await edge.close();
  });

  it('builds the URL with url(domainName, port, healthcheckPath || "/")', () => {
    expect(probeUrl({ domainName: 'edge1.test', port: 8080 })).to.equal('http://edge1.test:8080/');
    expect(probeUrl({ domainName: 'edge1.test', port: 80, healthcheckPath: '//hc//ok' })).to.equal('http://edge1.test/hc/ok');
    expect(probeUrl({ domainName: 'edge1.test', port: 443, healthcheckPath: '/health' })).to.equal('https://edge1.test/health');
  });

  const cases: Array<[EdgeMode, boolean, RegExp]> = [
    ['ok', true, /^ok$/],
    ['ok-newline', true, /^ok$/],
    ['ok-crlf', true, /^ok$/],
    ['status-500', false, /^status 500$/],
    ['wrong-body', false, /^body is not OK: "OK!"$/],
    ['long-body', false, /^body is not OK: longer than OK$/],
    ['redirect', false, /^status 302$/],
    ['slow', false, /^timeout after 300 ms$/],
  ];
  for (const [mode, healthy, reason] of cases) {
    it(`${mode}: ${healthy ? 'healthy' : 'unhealthy'}`, async () => {
      edge.mode = mode;
      const result = await probe(probeUrl(serverAt(edge.port, { healthcheckPath: '/health' })), opts);
      expect(result.healthy).to.equal(healthy);
      expect(result.reason).to.match(reason);
    });
  }

  it('a refused connection is a failure with its code', async () => {
    const port = await freePort();
    const result = await probe(probeUrl(serverAt(port)), opts);
    expect(result).to.deep.equal({ healthy: false, reason: 'connection failed: ECONNREFUSED' });
  });

  it('sends its User-Agent and the configured path', async () => {
    edge.mode = 'ok';
    edge.requests.length = 0;
    await probe(probeUrl(serverAt(edge.port, { healthcheckPath: '/hc/status' })), opts);
    expect(edge.requests.map((r) => [r.path, r.userAgent])).to.deep.equal([['/hc/status', 'test-probe']]);
  });

  it('an aborted probe (worker stopping) ends at once', async () => {
    edge.mode = 'slow';
    const stop = new AbortController();
    const started = Date.now();
    const pending = probe(probeUrl(serverAt(edge.port)), { ...opts, timeoutMs: 5_000, signal: stop.signal });
    setTimeout(() => stop.abort(), 20);
    expect(await pending).to.deep.equal({ healthy: false, reason: 'aborted' });
    expect(Date.now() - started).to.be.lessThan(1_000);
  });
});
