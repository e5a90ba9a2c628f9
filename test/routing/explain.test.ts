import { expect } from 'chai';
import { patchInModel } from '../../domain/routing/model-ops.js';
import { compileTrustedProxies } from '../../actors/routing/client-ip.js';
import { explain } from '../../actors/routing/explain.js';
import { explainFromPeer } from '../../actors/routing/explain-proxy.js';
import { seededRandom } from '../../actors/routing/select.js';
import { applySetup, baseModel, viewOf } from './helpers.js';

describe('routing: explain', () => {
  it('walks a live request step by step, naming the fallback and exclusions', () => {
    const model = applySetup(baseModel(), [{ op: 'patch', collection: 'servers', id: 'e2', body: { availability: false } }]);
    const out = explain(viewOf(model), '123.123.123.123', '/btv/live/hls_wv/ch1.m3u8', { random: seededRandom(1) });
    expect(out.request).to.include({ ok: true, kind: 'live', protocol: 'HLS', encryption: 'WIDEVINE', resource: 'ch1' });
    expect(out.clientIp).to.equal('123.123.123.123');
    expect(out.chosenSubnetId).to.equal('s1');
    const subnet = out.subnets[0]!;
    expect(subnet).to.include({ id: 's1', network: '123.123.123.120/29', prefix: 29, chosen: true });
    expect(subnet.eligibleServerIds).to.deep.equal(['e1']);
    const servers = subnet.groups[0]!.servers;
    expect(servers.find((s) => s.id === 'e2')).to.include({ eligible: false, excluded: 'unavailable (health check)' });
    expect(servers.find((s) => s.id === 'd1')).to.include({ eligible: false, excluded: 'type is DVR, not EDGE' });
    expect(out.content!.chosen).to.deep.equal({ id: 't6', encryption: 'CENC', path: '/s/hls_cenc', fallback: true });
    expect(out.content!.items.find((i) => i.id === 't1')!.excluded).to.equal('protocol is MPD');
    expect(out.content!.items.find((i) => i.id === 't5')!.excluded).to.match(/NONE does not serve WIDEVINE/);
    expect(out.selection).to.deep.include({ strategy: 'random', groupIds: ['g1'] });
    expect(out.selection!.candidates).to.deep.equal([
      { id: 'e1', domainName: 'edge1.test', port: 80, weight: 25, probability: 1, url: 'http://edge1.test/s/hls_cenc' },
    ]);
    expect(out.result).to.deep.equal({ status: 302, location: 'http://edge1.test/s/hls_cenc', kind: 'live' });
    expect(out.steps.at(-1)).to.equal('Result: 302 http://edge1.test/s/hls_cenc.');
  });

  it('explains misses: no subnet, inactive region, record not completed, bad input', () => {
    const view = viewOf(baseModel());
    const none = explain(view, '124.1.1.1', '/vod/a');
    expect(none.subnets).to.deep.equal([]);
    expect(none.result).to.include({ status: 404 });
    expect(none.body).to.equal('Server not found');
    expect(none.steps).to.include('No subnet contains the client IP.');

    const inactive = patchInModel(baseModel(), 'regions', 'r1', { status: 'INACTIVE' });
    if (!inactive.ok) throw new Error(inactive.message);
    const off = explain(viewOf(inactive.model), '123.123.123.123', '/vod/a');
    expect(off.subnets[0]).to.include({ excluded: 'region is INACTIVE', chosen: false });

    const running = applySetup(baseModel(), [{ op: 'patch', collection: 'program-records', id: 'pr1', body: { status: 'RUNNING' } }]);
    const rec = explain(viewOf(running), '123.123.123.123', '/btv/catchup/hls/p1');
    expect(rec.content!.items.find((i) => i.id === 'pr1')!.excluded).to.equal('status is RUNNING');
    expect(rec.result).to.include({ status: 404 });

    expect(explain(view, 'nonsense', '/vod/a').result).to.include({ status: 400 });
    expect(explain(view, '1.2.3.4', '/nope').body).to.equal('Request invalid');
  });

  it('shows rendezvous scores for consistent groups and agrees with the result', () => {
    const edit = patchInModel(baseModel(), 'server-groups', 'g1', { strategy: 'consistent' });
    if (!edit.ok) throw new Error(edit.message);
    const out = explain(viewOf(edit.model), '::ffff:123.123.123.123', '/vod/film/1.mp4');
    expect(out.clientIp).to.equal('123.123.123.123');
    expect(out.selection!.strategy).to.equal('consistent');
    expect(out.selection!.key).to.equal('/vod/film/1.mp4');
    const winner = out.selection!.candidates.find((c) => c.probability === 1)!;
    expect(out.result).to.deep.equal({ status: 302, location: winner.url, kind: 'vod' });
    expect(JSON.parse(JSON.stringify(out))).to.be.an('object'); // serializable as an API answer
  });

  it('with an X-Real-IP: the header counts only from a trusted proxy, as on the client port', () => {
    const view = viewOf(baseModel());
    const trusted = compileTrustedProxies(['10.0.0.0/8']);
    const proxied = explainFromPeer(view, '10.1.1.1', '123.123.123.123', trusted, '/vod/a');
    expect(proxied.steps[0]).to.equal('Peer 10.1.1.1 is a trusted proxy (TRUSTED_PROXIES): the client is X-Real-IP 123.123.123.123.');
    expect(proxied.clientIp).to.equal('123.123.123.123');
    expect(proxied.chosenSubnetId).to.equal('s1');
    expect(proxied.input).to.deep.equal({ ip: '10.1.1.1', path: '/vod/a', realIp: '123.123.123.123' });

    const direct = explainFromPeer(view, '124.1.1.1', '123.123.123.123', trusted, '/vod/a');
    expect(direct.steps[0]).to.match(/ignored: peer 124\.1\.1\.1 is not a trusted proxy/);
    expect(direct.clientIp).to.equal('124.1.1.1');
    expect(direct.result).to.include({ status: 404 });

    const bad = explainFromPeer(view, '10.1.1.1', 'not-an-ip', trusted, '/vod/a');
    expect(bad.result).to.include({ status: 400 });
    expect(explainFromPeer(view, '10.1.1.1', ' ', trusted, '/vod/a').clientIp).to.equal('10.1.1.1');
    expect(explainFromPeer(view, '123.123.123.123', undefined, trusted, '/vod/a').steps[0]).to.match(/^Request: vod/);
  });
});
