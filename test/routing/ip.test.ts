import { expect } from 'chai';
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp } from '../../actors/routing/ip.js';

describe('routing: ip', () => {
  it('parses IPv4 into one word', () => {
    expect(parseIp('123.123.123.123')).to.deep.equal({ family: 4, w0: 0, w1: 0, w2: 0, w3: 0x7b7b7b7b });
    expect(parseIp('0.0.0.0')!.w3).to.equal(0);
    expect(parseIp('255.255.255.255')!.w3).to.equal(0xffffffff);
  });

  it('refuses malformed IPv4', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1..3.4',
      '1.2.3.',
      'a.b.c.d',
      '1.2.3.4/8',
      '1.2.3.4:80',
      '1.2.3.-4',
      '1234.1.1.1',
    ]) {
      expect(parseIp(bad), bad).to.equal(null);
    }
  });

  it('parses IPv6 in its usual forms', () => {
    expect(formatIp(parseIp('2001:db8::1')!)).to.equal('2001:db8::1');
    expect(formatIp(parseIp('2001:DB8:0:0:0:0:0:1')!)).to.equal('2001:db8::1');
    expect(formatIp(parseIp('::')!)).to.equal('::');
    expect(formatIp(parseIp('::1')!)).to.equal('::1');
    expect(formatIp(parseIp('1::')!)).to.equal('1::');
    expect(formatIp(parseIp('1:2:3:4:5:6:7:8')!)).to.equal('1:2:3:4:5:6:7:8');
    expect(formatIp(parseIp('1:0:0:4:0:0:0:8')!)).to.equal('1:0:0:4::8');
    expect(formatIp(parseIp('fe80::1%eth0')!)).to.equal('fe80::1');
    expect(formatIp(parseIp('64:ff9b::1.2.3.4')!)).to.equal('64:ff9b::102:304');
    const a = parseIp('2001:db8:1:2:3:4:5:6')!;
    expect([a.w0, a.w1, a.w2, a.w3]).to.deep.equal([0x20010db8, 0x00010002, 0x00030004, 0x00050006]);
  });

  it('refuses malformed IPv6', () => {
    for (const bad of [
      ':',
      ':::',
      '1:::2',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'g::1',
      '1:',
      ':1',
      '1::2:3:4:5:6:7:8',
      '::1.2.3',
      '::1.2.3.4:5',
      'fe80::1%',
      '[::1]',
    ]) {
      expect(parseIp(bad), bad).to.equal(null);
    }
  });

  it('treats IPv4-mapped IPv6 as IPv4 (dotted and hex forms)', () => {
    expect(parseIp('::ffff:1.2.3.4')).to.deep.equal(parseIp('1.2.3.4'));
    expect(parseIp('::FFFF:0102:0304')).to.deep.equal(parseIp('1.2.3.4'));
    expect(parseIp('0:0:0:0:0:ffff:7f00:1')).to.deep.equal(parseIp('127.0.0.1'));
    expect(parseIp('::1.2.3.4')!.family).to.equal(6); // IPv4-compatible (deprecated) stays IPv6
  });

  it('parses CIDRs, ignoring host bits', () => {
    const c = parseCidr('123.123.123.123/29')!;
    expect(formatCidr(c)).to.equal('123.123.123.120/29');
    expect(formatCidr(parseCidr('10.1.2.3/0')!)).to.equal('0.0.0.0/0');
    expect(formatCidr(parseCidr('10.1.2.3/32')!)).to.equal('10.1.2.3/32');
    expect(formatCidr(parseCidr('2001:db8:abcd:1234::1/33')!)).to.equal('2001:db8:8000::/33');
    expect(formatCidr(parseCidr('::/0')!)).to.equal('::/0');
    expect(formatCidr(parseCidr('::ffff:10.0.0.0/104')!)).to.equal('10.0.0.0/8');
    expect(formatCidr(parseCidr('::ffff:0:0/96')!)).to.equal('0.0.0.0/0');
  });

  it('refuses bad CIDRs', () => {
    for (const bad of [
      '1.2.3.4',
      '1.2.3.4/33',
      '1.2.3.4/',
      '1.2.3.4/a',
      '1.2.3.4/-1',
      '::/129',
      '::ffff:1.2.3.4/95',
      '/8',
      '1.2.3.4/8/8',
      '1.2.3.4/0008',
    ]) {
      expect(parseCidr(bad), bad).to.equal(null);
    }
    expect(parseCidr('1.2.3.4', true)!.prefix).to.equal(32);
    expect(parseCidr('::1', true)!.prefix).to.equal(128);
  });

  it('contains: same family, network match', () => {
    const v4 = parseCidr('123.123.123.120/29')!;
    expect(cidrContains(v4, parseIp('123.123.123.127')!)).to.equal(true);
    expect(cidrContains(v4, parseIp('123.123.123.128')!)).to.equal(false);
    expect(cidrContains(v4, parseIp('::ffff:123.123.123.121')!)).to.equal(true);
    const v6 = parseCidr('2001:db8::/32')!;
    expect(cidrContains(v6, parseIp('2001:db8:ffff::1')!)).to.equal(true);
    expect(cidrContains(v6, parseIp('2001:db9::1')!)).to.equal(false);
    expect(cidrContains(v6, parseIp('1.2.3.4')!)).to.equal(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!)).to.equal(true);
    expect(cidrContains(parseCidr('2001:db8::1/128')!, parseIp('2001:db8::1')!)).to.equal(true);
    expect(cidrContains(parseCidr('2001:db8::1/128')!, parseIp('2001:db8::2')!)).to.equal(false);
  });

  it('agrees with node:net on random addresses', async () => {
    const { isIP } = await import('node:net');
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 2000; i++) {
      const groups = Array.from({ length: 8 }, () => (next() >>> 16).toString(16));
      const text =
        i % 3 === 0
          ? groups.join(':')
          : i % 3 === 1
            ? `${groups.slice(0, 3).join(':')}::${groups[7]}`
            : `${next() >>> 24}.${next() >>> 24}.${next() >>> 24}.${next() >>> 24}`;
      expect(parseIp(text) !== null, text).to.equal(isIP(text) !== 0);
    }
  });
});
