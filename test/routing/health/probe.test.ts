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
    // The body is never quoted: a probe must not read a target's answer out (docs/security.md).
    ['wrong-body', false, /^body is not OK$/],
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

  it('link-local and metadata addresses are refused without a connection (HEALTHCHECK_ALLOW_LINK_LOCAL)', async () => {
    for (const host of ['169.254.169.254', '[fe80::1]', '[::ffff:169.254.169.254]', '100.100.100.200', '[fd00:ec2::254]']) {
      const result = await probe(`http://${host}:80/latest/meta-data/`, opts);
      expect(result.healthy, host).to.equal(false);
      expect(result.reason, host).to.match(/^refused: [0-9a-f.:]+ is a link-local or metadata address$/);
    }
  });

  it('a name that resolves to a link-local address is refused too', async () => {
    const result = await probe('http://metadata.localtest.invalid:80/', {
      ...opts,
      lookup: async () => [{ address: '169.254.169.254', family: 4 }],
    });
    expect(result).to.deep.equal({ healthy: false, reason: 'refused: 169.254.169.254 is a link-local or metadata address' });
  });

  it('with allowLinkLocal a link-local target is probed (and fails like any unreachable one)', async () => {
    const result = await probe('http://metadata.localtest.invalid:80/', {
      ...opts,
      allowLinkLocal: true,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect(result.reason).to.not.match(/^refused/);
  });

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
