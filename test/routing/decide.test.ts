import { expect } from 'chai';
import type { DomainModel } from '../../domain/routing/entities.js';
import { patchInModel, putInModel } from '../../domain/routing/model-ops.js';
import { decide, REASONS, type Decision } from '../../actors/routing/decide.js';
import { seededRandom } from '../../actors/routing/select.js';
import { baseModel, decideFor, TRUSTED, viewOf } from './helpers.js';

function edit(model: DomainModel, ...steps: Array<(m: DomainModel) => ReturnType<typeof putInModel>>): DomainModel {
  let current = model;
  for (const step of steps) {
    const result = step(current);
    if (!result.ok) throw new Error(result.message);
    current = result.model;
  }
  return current;
}

function locations(decisions: Decision[]): string[] {
  return [...new Set(decisions.map((d) => (d.status === 302 ? d.location : `${d.status} ${d.reason}`)))].sort();
}

function many(n: number, f: () => Decision): Decision[] {
  return Array.from({ length: n }, f);
}

/** Adds the ACTIVE edge `e3` (edge3.test) at `ip`:`port` with `weight`. */
function putEdge3(model: DomainModel, ip: string, port: number, weight: number): ReturnType<typeof putInModel> {
  return putInModel(model, 'servers', { id: 'e3', type: 'EDGE', domainName: 'edge3.test', ip, port, status: 'ACTIVE', weight });
}

/** The fixture plus an IPv6 subnet and a nested IPv4 subnet in a second region with edge e3. */
function richModel(): DomainModel {
  return edit(
    baseModel(),
    (m) => putEdge3(m, '2001:db8::3', 8080, 50),
    (m) => putInModel(m, 'server-groups', { id: 'g2', name: 'Group 2', status: 'ACTIVE', serverIds: ['e3'] }),
    (m) => putInModel(m, 'regions', { id: 'r2', name: 'Region 2', status: 'ACTIVE', serverGroupIds: ['g2'] }),
    (m) => putInModel(m, 'subnets', { id: 's6', name: 'IPv6 clients', cidr: '2001:db8:100::/40', regionId: 'r2' }),
    (m) => putInModel(m, 'subnets', { id: 's-nested', name: 'Nested /30', cidr: '123.123.123.124/30', regionId: 'r2' }),
  );
}

describe('routing: decide', () => {
  it('routes IPv6 clients by IPv6 subnets', () => {
    const view = viewOf(richModel());
    expect(decideFor(view, '2001:db8:1ff::1', '/btv/live/hls/ch1')).to.deep.equal({
      status: 302,
      location: 'http://edge3.test:8080/s/hls',
      kind: 'live',
    });
    expect(decideFor(view, '2001:db8:200::1', '/btv/live/hls/ch1')).to.include({ status: 404, reason: REASONS.noSubnet });
  });

  it('routes IPv4-mapped IPv6 clients as IPv4 (header and peer)', () => {
    const view = viewOf(richModel());
    expect(decideFor(view, '::ffff:123.123.123.121', '/vod/x')).to.include({ status: 302 });
    const direct = decide(view, { path: '/vod/x', peerIp: '::ffff:123.123.123.122' }, { trustedProxies: TRUSTED });
    expect(direct.status).to.equal(302);
  });

  it('prefers the most specific subnet, and falls through when it has no edge', () => {
    let model = richModel();
    let view = viewOf(model);
    // 123.123.123.125 is in both /29 (r1: e1, e2) and the nested /30 (r2: e3).
    expect(locations(many(50, () => decideFor(view, '123.123.123.125', '/vod/a')))).to.deep.equal(['http://edge3.test/vod/a']);
    const r3 = seededRandom(3);
    expect(locations(many(100, () => decideFor(view, '123.123.123.121', '/vod/a', r3)))).to.have.length(2);
    model = edit(model, (m) => patchInModel(m, 'regions', 'r2', { status: 'INACTIVE' }));
    view = viewOf(model);
    const r4 = seededRandom(4);
    expect(locations(many(100, () => decideFor(view, '123.123.123.125', '/vod/a', r4)))).to.deep.equal([
      'http://edge1.test/vod/a',
      'http://edge2.test/vod/a',
    ]);
    model = edit(
      model,
      (m) => patchInModel(m, 'regions', 'r2', { status: 'ACTIVE' }),
      (m) => patchInModel(m, 'servers', 'e3', { availability: false }),
    );
    view = viewOf(model);
    expect(decideFor(view, '123.123.123.125', '/vod/a').status).to.equal(302);
    expect(locations(many(50, () => decideFor(view, '123.123.123.125', '/vod/a')))).to.not.include('http://edge3.test/vod/a');
  });

  it('ignores X-Real-IP from an untrusted peer', () => {
    const view = viewOf(baseModel());
    const spoofed = decide(view, { path: '/vod/a', peerIp: '8.8.8.8', realIpHeader: '123.123.123.123' }, { trustedProxies: TRUSTED });
    expect(spoofed).to.include({ status: 404, reason: REASONS.noSubnet });
    const bad = decide(view, { path: '/vod/a', peerIp: '127.0.0.1', realIpHeader: 'not-an-ip' }, { trustedProxies: TRUSTED });
    expect(bad).to.include({ status: 400 });
  });

  it('accepts GET and HEAD only', () => {
    const view = viewOf(baseModel());
    expect(decideFor(view, '123.123.123.123', '/vod/a', undefined, 'HEAD').status).to.equal(302);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get']) {
      expect(decideFor(view, '123.123.123.123', '/vod/a', undefined, method)).to.include({ status: 400, reason: REASONS.method });
    }
  });

  it('unions the edges of every ACTIVE group of the region, without duplicates, weighted', () => {
    const model = edit(
      baseModel(),
      (m) => putEdge3(m, '10.0.0.9', 80, 45),
      (m) => putInModel(m, 'server-groups', { id: 'g2', name: 'Group 2', status: 'ACTIVE', serverIds: ['e3', 'e1'] }),
      (m) => patchInModel(m, 'regions', 'r1', { serverGroupIds: ['g1', 'g2'] }),
    );
    const view = viewOf(model);
    const random = seededRandom(11);
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const d = decideFor(view, '123.123.123.123', '/vod/a', random);
      if (d.status === 302) counts.set(d.location, (counts.get(d.location) ?? 0) + 1);
    }
    expect(counts.get('http://edge1.test/vod/a')! / 10_000).to.be.closeTo(0.25, 0.02);
    expect(counts.get('http://edge2.test/vod/a')! / 10_000).to.be.closeTo(0.3, 0.02);
    expect(counts.get('http://edge3.test/vod/a')! / 10_000).to.be.closeTo(0.45, 0.02);
  });

  it('consistent strategy: same channel → same edge until that edge is unavailable', () => {
    const servers = Array.from({ length: 6 }, (_, i) => ({
      id: `c${i}`,
      type: 'EDGE',
      domainName: `c${i}.test`,
      ip: `10.1.0.${i + 1}`,
      port: 80,
      status: 'ACTIVE',
      weight: 10 + i * 10,
    }));
    let model = baseModel();
    for (const s of servers) model = edit(model, (m) => putInModel(m, 'servers', s));
    model = edit(model, (m) => patchInModel(m, 'server-groups', 'g1', { strategy: 'consistent', serverIds: servers.map((s) => s.id) }));
    const view = viewOf(model);
    const paths = Array.from({ length: 60 }, (_, i) => `/vod/film_${i}/index.m3u8`);
    const before = new Map(paths.map((p) => [p, decideFor(view, '123.123.123.123', p, seededRandom(1))]));
    for (const p of paths) {
      for (let k = 0; k < 5; k++) expect(decideFor(view, '123.123.123.123', p, seededRandom(k + 100))).to.deep.equal(before.get(p));
    }
    const hosts = new Set([...before.values()].map((d) => (d.status === 302 ? new URL(d.location).host : '')));
    expect(hosts.size).to.be.greaterThan(2);
    const live1 = decideFor(view, '123.123.123.123', '/btv/live/hls/ch1', seededRandom(1));
    const live2 = decideFor(view, '123.123.123.123', '/btv/live/hls/ch1.m3u8', seededRandom(2));
    expect(live1).to.deep.equal(live2);

    // Take c5 out: only the paths it served move.
    const down = viewOf(edit(model, (m) => patchInModel(m, 'servers', 'c5', { availability: false })));
    let moved = 0;
    for (const p of paths) {
      const was = before.get(p)!;
      const now = decideFor(down, '123.123.123.123', p, seededRandom(7));
      if (was.status === 302 && was.location.startsWith('http://c5.test/')) {
        moved++;
        expect(now.status === 302 && now.location.startsWith('http://c5.test/')).to.equal(false);
      } else expect(now).to.deep.equal(was);
    }
    expect(moved).to.be.greaterThan(0);
  });

  it('picks the stream with the smallest id when several match; the channel group plays no part', () => {
    const model = edit(
      baseModel(),
      (m) =>
        putInModel(m, 'tv-streams', { id: 't0', linearChannelId: 'lc1', streamPath: '/s/hls_first', status: 'ACTIVE', protocol: 'HLS' }),
      (m) =>
        putInModel(m, 'tv-streams', { id: 't9', linearChannelId: 'lc1', streamPath: '/s/hls_last', status: 'ACTIVE', protocol: 'HLS' }),
      (m) => patchInModel(m, 'server-groups', 'g1', { serverIds: ['e1', 'd1', 'd2'] }),
    );
    const view = viewOf(model);
    expect(decideFor(view, '123.123.123.123', '/btv/live/hls/ch1')).to.deep.equal({
      status: 302,
      location: 'http://edge1.test/s/hls_first',
      kind: 'live',
    });
  });

  it('names the reason of every 404', () => {
    const view = viewOf(baseModel());
    expect(decideFor(view, '123.123.123.123', '/btv/live/hls/nochannel')).to.include({ status: 404, reason: REASONS.unknownChannel });
    expect(decideFor(view, '123.123.123.123', '/btv/catchup/hls/noprogram')).to.include({ status: 404, reason: REASONS.unknownProgram });
    expect(decideFor(view, '123.123.123.123', '/btv/catchup/hls_wv/p1')).to.include({ status: 302 });
    const noEdges = viewOf(edit(baseModel(), (m) => patchInModel(m, 'server-groups', 'g1', { serverIds: ['d1', 'd2'] })));
    expect(decideFor(noEdges, '123.123.123.123', '/vod/a')).to.include({ status: 404, reason: REASONS.noEdge });
    const noHls = viewOf(edit(baseModel(), (m) => patchInModel(m, 'tv-streams', 't5', { status: 'INACTIVE' })));
    expect(decideFor(noHls, '123.123.123.123', '/btv/live/hls/ch1')).to.include({ status: 404, reason: REASONS.noStream });
  });

  it('tolerates a view built from an inconsistent model (dangling references)', () => {
    const model = baseModel();
    const broken: DomainModel = {
      ...model,
      regions: [{ ...model.regions[0]!, serverGroupIds: ['g1', 'ghost'] }],
      serverGroups: [{ ...model.serverGroups[0]!, serverIds: ['e1', 'nobody'] }],
      subnets: [
        ...model.subnets,
        { id: 's-x', name: 'x', cidr: 'garbage', regionId: 'nowhere' },
        { id: 's-y', name: 'y', cidr: '10.0.0.0/8', regionId: 'nowhere' },
      ],
      programRecords: model.programRecords.map((r) => ({ ...r, serverId: 'gone' })),
    };
    const view = viewOf(broken);
    expect(decideFor(view, '123.123.123.123', '/btv/live/hls/ch1')).to.deep.equal({
      status: 302,
      location: 'http://edge1.test/s/hls',
      kind: 'live',
    });
    expect(decideFor(view, '10.1.1.1', '/vod/a')).to.include({ status: 404, reason: REASONS.noEdge });
    expect(decideFor(view, '123.123.123.123', '/btv/catchup/hls/p1')).to.include({ status: 404 });
  });

  it('reports view stats', () => {
    const view = viewOf(richModel());
    expect(view.stats).to.include({
      generation: 1,
      subnets: 3,
      subnetsV4: 2,
      subnetsV6: 1,
      servers: 5,
      eligibleEdges: 3,
      liveChannels: 1,
      catchupPrograms: 1,
    });
  });
});
