import { expect } from 'chai';
import { compileTrustedProxies, resolveClientIp } from '../../actors/routing/client-ip.js';
import { formatIp } from '../../actors/routing/ip.js';

const trusted = compileTrustedProxies(['127.0.0.1/8', '::1', '10.10.0.0/16']);

function client(peer: string | undefined, header?: string | string[]): string {
  const result = resolveClientIp(peer, header, trusted);
  return result.ok ? `${formatIp(result.ip)} (${result.source})` : `invalid: ${result.reason}`;
}

describe('routing: client ip', () => {
  it('uses X-Real-IP only from a trusted proxy', () => {
    expect(client('127.0.0.1', '1.2.3.4')).to.equal('1.2.3.4 (header)');
    expect(client('127.9.9.9', '1.2.3.4')).to.equal('1.2.3.4 (header)');
    expect(client('::1', '2001:db8::1')).to.equal('2001:db8::1 (header)');
    expect(client('10.10.3.4', '5.6.7.8')).to.equal('5.6.7.8 (header)');
    expect(client('8.8.8.8', '1.2.3.4')).to.equal('8.8.8.8 (peer)');
    expect(client('10.11.0.1', '1.2.3.4')).to.equal('10.11.0.1 (peer)');
  });

  it('treats IPv4-mapped peers and headers as IPv4', () => {
    expect(client('::ffff:127.0.0.1', '1.2.3.4')).to.equal('1.2.3.4 (header)');
    expect(client('::ffff:8.8.8.8', '1.2.3.4')).to.equal('8.8.8.8 (peer)');
    expect(client('127.0.0.1', '::ffff:123.123.123.123')).to.equal('123.123.123.123 (header)');
  });

  it('uses the peer when the header is absent or empty', () => {
    expect(client('127.0.0.1')).to.equal('127.0.0.1 (peer)');
    expect(client('127.0.0.1', '')).to.equal('127.0.0.1 (peer)');
    expect(client('127.0.0.1', '  ')).to.equal('127.0.0.1 (peer)');
    expect(client('127.0.0.1', [])).to.equal('127.0.0.1 (peer)');
    expect(client('127.0.0.1', ' 1.2.3.4 ')).to.equal('1.2.3.4 (header)');
    expect(client('127.0.0.1', ['1.2.3.4'])).to.equal('1.2.3.4 (header)');
  });

  it('refuses a malformed header from a trusted proxy, ignores it from others', () => {
    for (const bad of ['nonsense', '1.2.3.4, 5.6.7.8', '1.2.3.4:80', '999.1.1.1', '[::1]']) {
      expect(client('127.0.0.1', bad), bad).to.equal('invalid: malformed X-Real-IP');
      expect(client('8.8.4.4', bad), bad).to.equal('8.8.4.4 (peer)');
    }
    expect(client('127.0.0.1', ['1.2.3.4', '5.6.7.8'])).to.equal('invalid: malformed X-Real-IP');
  });

  it('refuses a missing or malformed peer', () => {
    expect(client(undefined, '1.2.3.4')).to.equal('invalid: no peer address');
    expect(client('', '1.2.3.4')).to.equal('invalid: no peer address');
    expect(client('garbage', '1.2.3.4')).to.equal('invalid: malformed peer address');
    expect(client('127.0.0.1', '1.2.3.4')).to.equal('1.2.3.4 (header)'); // the one-entry peer cache recovers
  });

  it('compiles the default list and rejects bad entries', () => {
    const defaults = compileTrustedProxies('127.0.0.1/8,::1'.split(','));
    expect(defaults.entries).to.deep.equal(['127.0.0.1/8', '::1']);
    expect(() => compileTrustedProxies(['10.0.0.0/33'])).to.throw(/10\.0\.0\.0\/33/);
    expect(() => compileTrustedProxies(['nope'])).to.throw(/nope/);
    const none = compileTrustedProxies([]);
    expect(resolveClientIp('127.0.0.1', '1.2.3.4', none)).to.deep.include({ ok: true, source: 'peer' });
  });
});
