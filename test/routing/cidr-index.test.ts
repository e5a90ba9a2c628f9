import { expect } from 'chai';
import { CidrIndex } from '../../actors/routing/cidr-index.js';
import { cidrContains, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from '../../actors/routing/ip.js';
import { seededRandom } from '../../actors/routing/select.js';

function index(cidrs: string[]): CidrIndex<string> {
  return CidrIndex.build(cidrs.map((text) => ({ cidr: parseCidr(text)!, value: text })));
}

function ip(text: string): IpAddress {
  return parseIp(text)!;
}

describe('routing: cidr index (longest prefix match)', () => {
  it('returns every match, most specific first, for nested IPv4 subnets', () => {
    const idx = index(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.128/25', '10.2.0.0/16', '0.0.0.0/0']);
    expect(idx.matches(ip('10.1.2.200'))).to.deep.equal(['10.1.2.128/25', '10.1.2.0/24', '10.1.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
    expect(idx.matches(ip('10.1.2.5'))).to.deep.equal(['10.1.2.0/24', '10.1.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
    expect(idx.matches(ip('10.2.9.9'))).to.deep.equal(['10.2.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
    expect(idx.matches(ip('11.0.0.1'))).to.deep.equal(['0.0.0.0/0']);
    expect(idx.mostSpecific(ip('10.1.2.200'))!.cidr.prefix).to.equal(25);
  });

  it('finds nothing outside every subnet, and never mixes families', () => {
    const idx = index(['123.123.123.123/29', '2001:db8::/32']);
    expect(idx.mostSpecific(ip('124.123.123.123'))).to.equal(null);
    expect(idx.matches(ip('123.123.123.127'))).to.deep.equal(['123.123.123.123/29']);
    expect(idx.matches(ip('2001:db8::7b7b:7b7b'))).to.deep.equal(['2001:db8::/32']);
    expect(idx.matches(ip('::ffff:123.123.123.121'))).to.deep.equal(['123.123.123.123/29']);
    expect(idx.matches(ip('2001:db9::1'))).to.deep.equal([]);
  });

  it('handles nested IPv6 subnets down to /128 and ::/0', () => {
    const idx = index(['2001:db8::/32', '2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:1:2::42/128', '::/0']);
    expect(idx.matches(ip('2001:db8:1:2::42'))).to.deep.equal([
      '2001:db8:1:2::42/128',
      '2001:db8:1:2::/64',
      '2001:db8:1::/48',
      '2001:db8::/32',
      '::/0',
    ]);
    expect(idx.matches(ip('2001:db8:1:3::1'))).to.deep.equal(['2001:db8:1::/48', '2001:db8::/32', '::/0']);
    expect(idx.matches(ip('fe80::1'))).to.deep.equal(['::/0']);
  });

  it('keeps same-CIDR duplicates in the given order', () => {
    const idx = CidrIndex.build([
      { cidr: parseCidr('10.0.0.0/8')!, value: 'a' },
      { cidr: parseCidr('10.0.0.1/8')!, value: 'b' },
      { cidr: parseCidr('10.0.0.0/24')!, value: 'c' },
    ]);
    expect(idx.matches(ip('10.0.0.5'))).to.deep.equal(['c', 'a', 'b']);
    expect(idx.size).to.equal(3);
  });

  it('agrees with a brute-force scan on random tables (IPv4 and IPv6)', () => {
    const random = seededRandom(42);
    const int = (n: number) => Math.floor(random() * n);
    const cidrs: Cidr[] = [];
    const texts = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const text =
        i % 4 === 3
          ? `2001:db8:${int(4).toString(16)}:${int(4).toString(16)}::/${[32, 34, 40, 48, 62, 64, 128][int(7)]}`
          : `10.${int(4)}.${int(4)}.${int(256)}/${[8, 12, 14, 16, 18, 20, 24, 28, 30, 32][int(10)]}`;
      const cidr = parseCidr(text)!;
      const key = `${formatIp(cidr.network)}/${cidr.prefix}`;
      if (texts.has(key)) continue;
      texts.add(key);
      cidrs.push(cidr);
    }
    const idx = CidrIndex.build(cidrs.map((cidr, i) => ({ cidr, value: i })));
    for (let i = 0; i < 3000; i++) {
      const addr =
        i % 4 === 3
          ? ip(`2001:db8:${int(4).toString(16)}:${int(4).toString(16)}::${int(3).toString(16)}`)
          : ip(`10.${int(4)}.${int(4)}.${int(256)}`);
      const expected = cidrs
        .map((cidr, k) => ({ cidr, k }))
        .filter(({ cidr }) => cidrContains(cidr, addr))
        .sort((a, b) => b.cidr.prefix - a.cidr.prefix)
        .map(({ k }) => k);
      expect(idx.matches(addr), formatIp(addr)).to.deep.equal(expected);
    }
  });
});
