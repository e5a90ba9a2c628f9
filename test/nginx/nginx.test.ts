// docs/nginx/beamstack.conf, run by the real Debian nginx in front of fake upstreams that
// record what nginx sends them: X-Real-IP, extension stripping, Location untouched byte for
// byte, TLS, keepalive, several nodes, and nothing else published.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderConfig, SHIPPED_CONFIG, startNginx, type TestNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { edgeRedirect, rawRequest, startFakeUpstream, type FakeUpstream, type RawResponse } from './support.js';

describe('nginx front: the shipped config against a fake upstream @integration', () => {
  let upstream: FakeUpstream;
  let nginx: TestNginx;

  before(async function () {
    this.timeout(15_000);
    upstream = await startFakeUpstream();
    nginx = await startNginx({ upstreams: [`127.0.0.1:${upstream.port}`] });
  });

  after(async () => {
    await nginx?.stop();
    await upstream?.close();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.answer = edgeRedirect;
  });

  const get = (
    path: string,
    more: { headers?: string[]; localAddress?: string; tls?: boolean; method?: string } = {},
  ): Promise<RawResponse> =>
    rawRequest({
      port: more.tls ? nginx.httpsPort : nginx.httpPort,
      path,
      ...(more.tls ? { tlsCa: nginx.certPem } : {}),
      ...(more.headers ? { headers: more.headers } : {}),
      ...(more.localAddress ? { localAddress: more.localAddress } : {}),
      ...(more.method ? { method: more.method } : {}),
    });

  for (const tls of [false, true]) {
    const scheme = tls ? 'https' : 'http';

    it(`${scheme}: sets X-Real-IP to the client's address, replacing a forged one`, async () => {
      const response = await get('/btv/live/hls/epg_0', { tls, localAddress: '127.0.0.2', headers: ['X-Real-IP: 6.6.6.6'] });
      expect(response.status).to.equal(302);
      expect(upstream.requests).to.have.length(1);
      const seen = upstream.requests[0]!;
      expect(seen.header('x-real-ip')).to.equal('127.0.0.2');
      expect(seen.peer).to.equal('127.0.0.1'); // the node sees nginx: TRUSTED_PROXIES must list it
      expect(seen.header('x-forwarded-proto')).to.equal(scheme);
      expect(seen.rawHeaders.filter((h) => h.toLowerCase() === 'x-real-ip')).to.have.length(1);
    });

    it(`${scheme}: passes the upstream's 302 and Location unchanged, capital L on the wire`, async () => {
      const response = await get('/btv/live/hls_wv/epg_0.m3u8?token=abc', { tls });
      expect(response.status).to.equal(302);
      expect(response.raw).to.include('\r\nLocation: http://edge1.test:8080/btv/live/hls_wv/epg_0?token=abc\r\n');
      expect(response.headers.filter(([name]) => name.toLowerCase() === 'location')).to.deep.equal([
        ['Location', 'http://edge1.test:8080/btv/live/hls_wv/epg_0?token=abc'],
      ]);
      expect(response.header('cache-control')).to.equal('max-age=0, private, must-revalidate');
      expect(response.body).to.equal('');
    });
  }

  it('strips the extension of live and catch-up requests (as the seed did) and keeps the query', async () => {
    const cases: Array<[string, string]> = [
      ['/btv/live/hls/epg_0.m3u8', '/btv/live/hls/epg_0'],
      ['/btv/live/mpd_pr/epg_0.mpd?a=1&b=2', '/btv/live/mpd_pr/epg_0?a=1&b=2'],
      ['/btv/live/hls/epg_0.m3p4', '/btv/live/hls/epg_0'],
      ['/btv/catchup/mpd/prog_1.mpd', '/btv/catchup/mpd/prog_1'],
      ['/btv/catchup/hls_cenc/prog_1.m3u8', '/btv/catchup/hls_cenc/prog_1'],
      ['/btv/live/hls/epg_0', '/btv/live/hls/epg_0'],
    ];
    for (const [sent] of cases) expect((await get(sent)).status).to.equal(302);
    expect(upstream.requests.map((r) => r.url)).to.deep.equal(cases.map(([, passed]) => passed));
  });

  it('proxies /vod/ and /static/ paths unchanged (no extension stripping there)', async () => {
    for (const path of ['/vod/movies/film.mp4', '/static/img/logo.png', '/vod/a/b/c']) {
      const response = await get(path);
      expect(response.status).to.equal(302);
      expect(response.header('location')).to.equal(`http://edge1.test:8080${path}`);
    }
    expect(upstream.requests.map((r) => r.url)).to.deep.equal(['/vod/movies/film.mp4', '/static/img/logo.png', '/vod/a/b/c']);
  });

  it('adds Access-Control-Allow-Origin on live answers only (the seed did)', async () => {
    expect((await get('/btv/live/hls/epg_0')).header('access-control-allow-origin')).to.equal('*');
    expect((await get('/btv/catchup/hls/p1')).header('access-control-allow-origin')).to.equal(undefined);
  });

  it("passes the node's 400 and 404 answers and bodies through (no nginx error pages)", async () => {
    upstream.answer = (req) =>
      req.url?.includes('missing') ? { status: 404, body: 'Server not found' } : { status: 400, body: 'Request invalid' };
    const missing = await get('/btv/live/hls/missing.m3u8');
    expect([missing.status, missing.body, missing.header('content-type')]).to.deep.equal([404, 'Server not found', 'text/plain']);
    const bad = await get('/btv/live/xyz/bad');
    expect([bad.status, bad.body]).to.deep.equal([400, 'Request invalid']);
  });

  it('HEAD passes through as HEAD', async () => {
    const response = await get('/btv/live/hls/epg_0', { method: 'HEAD' });
    expect(response.status).to.equal(302);
    expect(upstream.requests.map((r) => r.method)).to.deep.equal(['HEAD']);
  });

  it('nginx keeps the header name the node writes: a lower-case location stays lower-case', async () => {
    // So nginx does not fix the Samsung problem; the node must write "Location" itself.
    upstream.answer = () => ({ status: 302, location: 'http://edge1.test/x', locationHeaderName: 'location' });
    const response = await get('/vod/x');
    expect(response.raw).to.include('\r\nlocation: http://edge1.test/x\r\n');
  });

  it('publishes nothing else: admin API, /health, /ready, / and unknown prefixes get nginx 404, never proxied', async () => {
    for (const path of ['/', '/api/v1/servers', '/health', '/ready', '/btv/other/hls/x', '/vodx/a', '/login']) {
      expect((await get(path)).status, path).to.equal(404);
    }
    // nginx's own slash redirect for a proxied prefix without its trailing slash
    expect((await get('/btv/live')).header('location')).to.match(/\/btv\/live\/$/);
    expect(upstream.requests).to.deep.equal([]);
  });

  it('reuses upstream connections (keepalive)', async () => {
    const before = upstream.connections;
    for (let i = 0; i < 10; i += 1) await get(`/btv/live/hls/epg_${i}.m3u8`, { tls: i % 2 === 0 });
    expect(upstream.requests).to.have.length(10);
    expect(upstream.connections - before).to.be.at.most(1);
  });
});

describe('nginx front: several nodes upstream @integration', () => {
  let nodes: FakeUpstream[] = [];
  let nginx: TestNginx | undefined;

  after(async () => {
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.close()));
    nodes = [];
  });

  it('spreads requests over the nodes and keeps answering when one node is down', async function () {
    this.timeout(15_000);
    nodes = [await startFakeUpstream(), await startFakeUpstream()];
    const deadPort = await freePort();
    nginx = await startNginx({ upstreams: [...nodes.map((n) => `127.0.0.1:${n.port}`), `127.0.0.1:${deadPort}`] });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i += 1) statuses.push((await rawRequest({ port: nginx.httpPort, path: `/vod/v${i}` })).status);
    expect(statuses.every((s) => s === 302)).to.equal(true);
    expect(nodes.every((n) => n.requests.length > 0)).to.equal(true);

    await nodes[0]!.close();
    const after: number[] = [];
    for (let i = 0; i < 6; i += 1) after.push((await rawRequest({ port: nginx.httpPort, path: `/vod/w${i}` })).status);
    expect(after).to.deep.equal([302, 302, 302, 302, 302, 302]);
  });
});

describe('nginx config rendering', () => {
  it('changes only the marked lines of the shipped file', () => {
    const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
    const rendered = renderConfig(shipped, {
      upstreams: ['10.0.0.1:4001'],
      httpListen: '127.0.0.1:8080',
      httpsListen: '127.0.0.1:8443',
      certFile: '/tmp/x.crt',
      keyFile: '/tmp/x.key',
    });
    const removed = shipped.split('\n').filter((line) => !rendered.split('\n').includes(line));
    expect(removed.map((l) => l.trim())).to.deep.equal([
      'server 127.0.0.1:4001 max_fails=2 fail_timeout=5s;',
      'server 127.0.0.1:4003 max_fails=2 fail_timeout=5s;',
      'listen 80 default_server;',
      'listen 443 ssl default_server;',
      'ssl_certificate     /etc/nginx/tls/cdn.example.com.crt;',
      'ssl_certificate_key /etc/nginx/tls/cdn.example.com.key;',
    ]);
    expect(rendered).to.include('    server 10.0.0.1:4001 max_fails=2 fail_timeout=5s;\n');
  });

  it('fails loudly when the shipped file no longer has the expected shape', () => {
    expect(() =>
      renderConfig('server { listen 80; }', { upstreams: ['a:1'], httpListen: 'x', httpsListen: 'y', certFile: 'c', keyFile: 'k' }),
    ).to.throw(/changed shape/);
  });
});
