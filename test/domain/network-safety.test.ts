import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../domain/config.js';
import { addressScope, publicListenAddresses } from '../../domain/network-address.js';
import { estimatedEntropyBits, secretWeakness } from '../../domain/secret-strength.js';

describe('listen address scopes', () => {
  it('tells loopback, private, public and any apart', () => {
    for (const a of ['127.0.0.1', '127.0.0.12', 'localhost', '::1', '[::1]']) expect(addressScope(a), a).to.equal('loopback');
    for (const a of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.1',
      '192.168.1.5',
      '169.254.0.9',
      '100.64.0.1',
      'fd00::1',
      'fe80::1',
      '10.0.*.*',
    ])
      expect(addressScope(a), a).to.equal('private');
    for (const a of ['8.8.8.8', '172.32.0.1', '203.0.113.9', '2001:db8::1', 'example.com']) expect(addressScope(a), a).to.equal('public');
    for (const a of ['0.0.0.0', '::']) expect(addressScope(a), a).to.equal('any');
  });

  it('finds the public addresses a wildcard listener is reachable at', () => {
    const interfaces = (): string[] => ['127.0.0.1', '10.0.0.4', '198.51.100.7', 'fe80::1'];
    expect(publicListenAddresses('0.0.0.0', interfaces)).to.deep.equal(['198.51.100.7']);
    expect(publicListenAddresses('10.0.0.4', interfaces)).to.deep.equal([]);
    expect(publicListenAddresses('198.51.100.7', interfaces)).to.deep.equal(['198.51.100.7']);
  });
});

describe('SECRET_KEY_BASE strength', () => {
  const strong = 'q3V9yH2kLmN8pR4tW6zB1cD5fG7jK0sXaEiOuYvTnMbQwPlZrC';
  const repeated = 'abababababababababababababababababababab';

  it('estimates entropy from the characters used', () => {
    expect(estimatedEntropyBits('a'.repeat(64))).to.equal(0);
    expect(estimatedEntropyBits(repeated)).to.be.closeTo(40, 0.01);
    expect(estimatedEntropyBits(strong)).to.be.greaterThan(250);
  });

  it('accepts 32 characters of anything in development, asks for 128 bits on a network', () => {
    expect(secretWeakness(repeated, true)).to.equal(undefined);
    expect(secretWeakness(repeated, false)).to.match(/too guessable .*about 40 bits.*openssl rand -base64 48/);
    expect(secretWeakness(strong, false)).to.equal(undefined);
    expect(secretWeakness('short', true)).to.match(/at least 32 characters/);
  });

  it('is enforced by the node configuration when HOST is not loopback', () => {
    const base = { SECRET_KEY_BASE: repeated };
    expect(loadConfig({ ...base, HOST: '127.0.0.1' }).secretKeyBase).to.equal(repeated);
    expect(() => loadConfig({ ...base, HOST: '0.0.0.0' })).to.throw(ConfigError, /^SECRET_KEY_BASE: is too guessable/);
    expect(loadConfig({ SECRET_KEY_BASE: strong, HOST: '10.0.0.4' }).host).to.equal('10.0.0.4');
  });
});
