// End to end: docs/nginx/beamstack.conf in front of a real Beamstack node (FerretDB +
// Hazelcast + bin/node.ts). The node chooses the edge by the X-Real-IP nginx sets (the
// client's loopback address), Location keeps its capital L through nginx, over HTTP and TLS.
import { expect } from 'chai';
import { useClusterHarness } from '../support/cluster-harness.js';
import { startNginx, type TestNginx } from '../support/nginx.js';
import { loadCases } from '../routing/helpers.js';
import { rawRequest, type RawResponse } from './support.js';

const IN_SUBNET = '127.0.0.2'; // the fixture's region r1 gets a subnet for this client
const NO_SUBNET = '127.0.0.3';
const LIVE_EDGES = ['http://edge1.test/s/hls', 'http://edge2.test:96/s/hls'];

describe('nginx in front of a real node (e2e) @integration', function () {
  this.timeout(60_000);
  const h = useClusterHarness({ nodes: 1 });
  let nginx: TestNginx | undefined;

  before(async function () {
    this.timeout(60_000);
    const node = h.nodes[0]!;
    const fixture = loadCases().fixture as { subnets: Array<Record<string, unknown>> };
    const model = {
      ...fixture,
      subnets: [...fixture.subnets, { id: 's-nginx', name: 'Clients behind nginx', cidr: `${IN_SUBNET}/32`, regionId: 'r1' }],
    };
    const put = await h.api(node, 'PUT', '/api/v1/domain', { body: model });
    expect(put.status, put.text).to.equal(200);
    await h.waitForGeneration(node, put.body.generation as number, IN_SUBNET);
    nginx = await startNginx({ upstreams: [`127.0.0.1:${node.apiPort}`] });
  });

  after(async () => {
    await nginx?.stop();
  });

  function viaNginx(path: string, from: string, tls: boolean, headers: string[] = []): Promise<RawResponse> {
    return rawRequest({
      port: tls ? nginx!.httpsPort : nginx!.httpPort,
      path,
      localAddress: from,
      headers,
      ...(tls ? { tlsCa: nginx!.certPem } : {}),
    });
  }

  for (const tls of [false, true]) {
    const scheme = tls ? 'https' : 'http';

    it(`${scheme}: 302 to an edge of the client's region; Location with a capital L; a forged X-Real-IP is ignored`, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < LIVE_EDGES.length; i += 1) {
        // the forged header names an address in no subnet: the node must use nginx's
        const res = await viaNginx('/btv/live/hls/ch1.m3u8?token=abc', IN_SUBNET, tls, ['X-Real-IP: 124.123.123.123']);
        expect(res.status, res.raw).to.equal(302);
        const locations = res.headers.filter(([name]) => name.toLowerCase() === 'location');
        expect(locations, res.raw).to.have.length(1);
        expect(locations[0]![0]).to.equal('Location');
        expect(LIVE_EDGES).to.include(locations[0]![1]);
        expect(res.header('cache-control')).to.equal('max-age=0, private, must-revalidate');
        expect(res.header('access-control-allow-origin')).to.equal('*');
        expect(res.body).to.equal('');
        seen.add(locations[0]![1]);
      }
      expect([...seen].sort()).to.deep.equal(LIVE_EDGES);
    });

    it(`${scheme}: a client in no subnet gets the node's 404 Server not found, whatever X-Real-IP it sends`, async () => {
      const res = await viaNginx('/btv/live/hls/ch1', NO_SUBNET, tls, ['X-Real-IP: 123.123.123.123']);
      expect([res.status, res.body]).to.deep.equal([404, 'Server not found']);
      expect(res.header('content-type')).to.match(/^text\/plain/);
    });
  }

  it('catch-up (extension stripped), VOD and static go through nginx to the node', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/btv/catchup/mpd/p1.mpd', /^http:\/\/edge(1\.test|2\.test:96)\/dvr\/dvr2\/rec\/mpd$/],
      ['/vod/a/b/c', /^http:\/\/edge[12]\.test\/vod\/a\/b\/c$/],
      ['/static/x/y/z', /^http:\/\/edge[12]\.test\/static\/x\/y\/z$/],
    ];
    for (const [path, location] of cases) {
      const res = await viaNginx(path, IN_SUBNET, false);
      expect(res.status, `${path}: ${res.raw}`).to.equal(302);
      expect(res.raw).to.match(/\r\nLocation: /);
      expect(res.header('location')).to.match(location);
    }
  });

  it("the node's 400 Request invalid passes through; the admin API is not published", async () => {
    const bad = await viaNginx('/btv/live/hlss/x', IN_SUBNET, false);
    expect([bad.status, bad.body]).to.deep.equal([400, 'Request invalid']);
    const admin = await viaNginx('/api/v1/domain', IN_SUBNET, false);
    expect(admin.status).to.equal(404);
    expect(admin.body).to.include('nginx');
  });
});
