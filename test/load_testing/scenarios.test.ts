import { expect } from 'chai';
import { cidrContains, parseCidr, parseIp } from '../../domain/routing/ip.js';
import { generateDomainModel } from '../../load_testing/fixture-model.js';
import { seededRandom } from '../../actors/routing/select.js';
import { CODECS, clientIpIn, scenarioRequests } from '../../load_testing/scenarios.js';

describe('load_testing scenarios', () => {
  const model = generateDomainModel({ seed: 5, subnets: 400, servers: 40, channels: 30, records: 400 });
  const epgs = new Set(model.linearChannels.map((c) => c.epgId));
  const programs = new Set(model.programs.map((p) => p.epgId));
  const codecs = CODECS.join('|');

  function inSomeSubnet(ip: string): boolean {
    const address = parseIp(ip);
    if (!address) return false;
    return model.subnets.some((s) => cidrContains(parseCidr(s.cidr, true)!, address));
  }

  it('live: /btv/live/{codec}/{channel epg} from a client in a subnet', () => {
    const requests = scenarioRequests('live', model, 300, 3);
    for (const r of requests) {
      const match = new RegExp(`^/btv/live/(${codecs})/([A-Za-z0-9_]+)$`).exec(r.path);
      expect(match, r.path).to.not.equal(null);
      expect(epgs.has(match![2]!), r.path).to.equal(true);
      expect(r.kind).to.equal('live');
      expect(inSomeSubnet(r.ip), r.ip).to.equal(true);
    }
    expect(new Set(requests.map((r) => r.path.split('/')[3])).size).to.equal(CODECS.length);
  });

  it('catchup: /btv/catchup/{codec}/{programme epg}', () => {
    for (const r of scenarioRequests('catchup', model, 200, 4)) {
      const match = new RegExp(`^/btv/catchup/(${codecs})/([A-Za-z0-9_]+)$`).exec(r.path);
      expect(match, r.path).to.not.equal(null);
      expect(programs.has(match![2]!), r.path).to.equal(true);
      expect(inSomeSubnet(r.ip), r.ip).to.equal(true);
    }
  });

  it('vod: /vod/{a}/{b}/{c}', () => {
    for (const r of scenarioRequests('vod', model, 100, 5)) {
      expect(r.path).to.match(/^\/vod\/\d+\/\d+\/asset_\d+\.mp4$/);
      expect(inSomeSubnet(r.ip), r.ip).to.equal(true);
    }
  });

  it('requests: a mix of all three, mostly live', () => {
    const requests = scenarioRequests('requests', model, 2000, 6);
    const kinds = new Map<string, number>();
    for (const r of requests) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    expect(kinds.get('live')).to.be.within(1000, 1400);
    expect(kinds.get('catchup')).to.be.within(350, 650);
    expect(kinds.get('vod')).to.be.within(150, 450);
    expect(
      requests.some((r) => r.ip.includes(':')),
      'IPv6 clients too',
    ).to.equal(true);
  });

  it('is deterministic for a seed', () => {
    expect(scenarioRequests('requests', model, 50, 9)).to.deep.equal(scenarioRequests('requests', model, 50, 9));
    expect(scenarioRequests('requests', model, 50, 9)).to.not.deep.equal(scenarioRequests('requests', model, 50, 10));
  });

  it('refuses a bad count or a model without subnets', () => {
    expect(() => scenarioRequests('live', model, 0)).to.throw(/positive integer/);
    expect(() => scenarioRequests('live', { ...model, subnets: [] }, 1)).to.throw(/no subnets/);
  });

  describe('clientIpIn', () => {
    const random = seededRandom(1);

    it('stays inside IPv4 networks, whatever the host bits of the CIDR', () => {
      for (const cidr of ['10.1.2.0/24', '10.1.2.77/24', '11.0.0.0/8', '192.0.2.5/32', '0.0.0.0/0', '203.0.113.64/26']) {
        const net = parseCidr(cidr, true)!;
        for (let i = 0; i < 50; i++) {
          const ip = clientIpIn(cidr, random);
          expect(cidrContains(net, parseIp(ip)!), `${ip} in ${cidr}`).to.equal(true);
        }
      }
      expect(clientIpIn('192.0.2.5/32', random)).to.equal('192.0.2.5');
    });

    it('stays inside IPv6 networks', () => {
      for (const cidr of ['2001:db8::/32', '2001:db8:100::/40', '2001:db8:1a:ff00::/56', '2001:db8:0:1::/64', '2001:db8::1/128']) {
        const net = parseCidr(cidr, true)!;
        for (let i = 0; i < 50; i++) {
          const ip = clientIpIn(cidr, random);
          expect(cidrContains(net, parseIp(ip)!), `${ip} in ${cidr}`).to.equal(true);
        }
      }
    });

    it('refuses what is not a CIDR', () => {
      for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', 'x/8', '2001:db8::/129']) {
        expect(() => clientIpIn(bad, random), bad).to.throw(/not a CIDR|not an IPv6/);
      }
    });
  });
});
