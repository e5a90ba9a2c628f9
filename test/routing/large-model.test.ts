// The optimized decide() against a naive reading of docs/routing.md, on a realistic generated model
// (5 000 subnets, 300 servers, 500 channels, 20 000 records). Also prints decisions/s.
import { expect } from 'chai';
import type { DomainModel, Encryption } from '../../domain/routing/entities.js';
import { validateDomainModel } from '../../domain/routing/validate.js';
import { decide } from '../../actors/routing/decide.js';
import { cidrContains, parseCidr, parseIp, type IpAddress } from '../../actors/routing/ip.js';
import { seededRandom } from '../../actors/routing/select.js';
import { url } from '../../actors/routing/url.js';
import { buildRoutingView, type RoutingView } from '../../actors/routing/view.js';
import { generateDomainModel, sampleRequests, type SampleRequest } from '../../load_testing/fixture-model.js';
import { TRUSTED } from './helpers.js';

const ENC: Record<string, Encryption> = { '': 'NONE', _cenc: 'CENC', _wv: 'WIDEVINE', _pr: 'PLAYREADY' };

/** Every acceptable Location, or the status, straight from the rules in docs/routing.md (slow on purpose). */
function oracle(model: DomainModel, ip: IpAddress, rawPath: string): { status: number; locations: Set<string> } {
  const path = rawPath.split('?')[0]!.replace(/\/{2,}/g, '/');
  const btv = /^\/btv\/(live|catchup)\/(hls|mpd)(_wv|_pr|_cenc)?\/([A-Za-z0-9_]+)(\.\w+)?$/.exec(path);
  const asset = /^\/(vod|static)\/.+$/.exec(path);
  if (!btv && !asset) return { status: 400, locations: new Set() };
  const subnets = model.subnets
    .map((s) => ({ s, cidr: parseCidr(s.cidr)! }))
    .filter(({ cidr }) => cidrContains(cidr, ip))
    .sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  let edges: DomainModel['servers'] = [];
  for (const { s } of subnets) {
    const region = model.regions.find((r) => r.id === s.regionId);
    if (!region || region.status !== 'ACTIVE') continue;
    const groups = region.serverGroupIds.map((id) => model.serverGroups.find((g) => g.id === id)).filter((g) => g && g.status === 'ACTIVE');
    const ids = new Set(groups.flatMap((g) => g!.serverIds));
    edges = model.servers.filter((sv) => ids.has(sv.id) && sv.type === 'EDGE' && sv.status === 'ACTIVE' && sv.availability);
    if (edges.length > 0) break;
  }
  if (edges.length === 0) return { status: 404, locations: new Set() };
  if (asset) return { status: 302, locations: new Set(edges.map((e) => `http://${e.domainName}${path}`)) };
  const [, kind, codec, suffix, resource] = btv!;
  const protocol = codec === 'hls' ? 'HLS' : 'MPD';
  const wanted = ENC[suffix ?? '']!;
  const pick = <T extends { id: string; encryption: Encryption }>(items: T[]): T | undefined => {
    const byEnc = (e: Encryption) => items.filter((i) => i.encryption === e).sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    return byEnc(wanted) ?? (wanted === 'WIDEVINE' || wanted === 'PLAYREADY' ? byEnc('CENC') : undefined);
  };
  let target: string | undefined;
  if (kind === 'live') {
    const channel = model.linearChannels.find((c) => c.epgId === resource);
    const stream =
      channel && pick(model.tvStreams.filter((t) => t.linearChannelId === channel.id && t.status === 'ACTIVE' && t.protocol === protocol));
    target = stream?.streamPath;
  } else {
    const program = model.programs.find((p) => p.epgId === resource);
    const record =
      program &&
      pick(model.programRecords.filter((r) => r.programId === program.id && r.status === 'COMPLETED' && r.protocol === protocol));
    const dvr = record && model.servers.find((s) => s.id === record.serverId);
    target = record && dvr ? `/dvr/${dvr.prefix}/${record.path}` : undefined;
  }
  if (target === undefined) return { status: 404, locations: new Set() };
  return { status: 302, locations: new Set(edges.map((e) => url(e.domainName, e.port, target))) };
}

describe('routing: a realistic large model', function () {
  this.timeout(60_000);
  let model: DomainModel;
  let view: RoutingView;
  let requests: SampleRequest[];

  before(() => {
    const generated = generateDomainModel({ seed: 5 });
    const result = validateDomainModel(generated);
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 5)));
    model = result.model;
    view = buildRoutingView(model, 1);
    requests = sampleRequests(model, 20_000, 6);
  });

  it('is deterministic for a seed and has the requested size', () => {
    expect(JSON.stringify(generateDomainModel({ seed: 5, subnets: 300, records: 400 }))).to.equal(
      JSON.stringify(generateDomainModel({ seed: 5, subnets: 300, records: 400 })),
    );
    expect(view.stats).to.include({ subnets: 5000, servers: 300, linearChannels: 500, programRecords: 20_000 });
    expect(view.stats.subnetsV6).to.be.greaterThan(100);
  });

  it('agrees with a naive reading of the spec on 600 random requests', () => {
    const random = seededRandom(3);
    const outcomes = new Map<number, number>();
    for (const r of requests.slice(0, 600)) {
      const expected = oracle(model, parseIp(r.ip)!, r.path);
      const got = decide(view, { path: r.path, peerIp: '127.0.0.1', realIpHeader: r.ip }, { trustedProxies: TRUSTED, random });
      expect(got.status, `${r.ip} ${r.path}`).to.equal(expected.status);
      if (got.status === 302) expect(expected.locations.has(got.location), `${r.ip} ${r.path} → ${got.location}`).to.equal(true);
      outcomes.set(got.status, (outcomes.get(got.status) ?? 0) + 1);
    }
    expect(outcomes.get(302)).to.be.greaterThan(300);
    expect(outcomes.get(404)).to.be.greaterThan(10);
  });

  it('decides 20 000 requests quickly (prints decisions/s; no timing assertion)', () => {
    const options = { trustedProxies: TRUSTED, random: seededRandom(1) };
    let best = 0;
    let redirects = 0;
    for (let round = 0; round < 5; round++) {
      redirects = 0;
      const started = performance.now();
      for (const r of requests)
        if (decide(view, { path: r.path, peerIp: '127.0.0.1', realIpHeader: r.ip }, options).status === 302) redirects++;
      best = Math.max(best, requests.length / ((performance.now() - started) / 1000));
    }
    expect(redirects).to.be.greaterThan(10_000);
    console.log(`      decide(): ${Math.round(best).toLocaleString('en')} decisions/s (best of 5); view built in ${view.stats.buildMs} ms`);
  });
});
