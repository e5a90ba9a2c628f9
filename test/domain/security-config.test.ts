// The settings of docs/security.md: defaults, and a bad value names its variable.
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../domain/config.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const STRONG = 'Zt3kq9XvR2mL8pWc4nYb7sHd1fGj6aQe0uIoKxVz5rTy';

describe('security settings', () => {
  it('defaults: admin port on loopback, 5 s drain, same-origin chat, 90 days of history', () => {
    const config = loadConfig({ SECRET_KEY_BASE: SECRET });
    expect(config).to.deep.include({
      adminHost: '127.0.0.1',
      host: '127.0.0.1',
      shutdownDrainMs: 5000,
      healthcheckAllowLinkLocal: false,
      chatAllowedOrigins: [],
      chatMaxSockets: 10_000,
      chatMaxSocketsPerClient: 50,
      chatHistoryDays: 90,
    });
    expect(config.metricsToken).to.equal(undefined);
  });

  it('reads every setting', () => {
    const config = loadConfig({
      SECRET_KEY_BASE: STRONG,
      ADMIN_HOST: '10.0.0.5',
      HOST: '0.0.0.0',
      METRICS_TOKEN: 'm'.repeat(40),
      SHUTDOWN_DRAIN_MS: '0',
      HEALTHCHECK_ALLOW_LINK_LOCAL: 'true',
      CHAT_ALLOWED_ORIGINS: 'https://chat.example.com, http://localhost:3000',
      CHAT_MAX_SOCKETS: '100',
      CHAT_MAX_SOCKETS_PER_CLIENT: '5',
      CHAT_HISTORY_DAYS: '0',
    });
    expect(config).to.deep.include({
      adminHost: '10.0.0.5',
      host: '0.0.0.0',
      metricsToken: 'm'.repeat(40),
      shutdownDrainMs: 0,
      healthcheckAllowLinkLocal: true,
      chatAllowedOrigins: ['https://chat.example.com', 'http://localhost:3000'],
      chatMaxSockets: 100,
      chatMaxSocketsPerClient: 5,
      chatHistoryDays: 0,
    });
    expect(loadConfig({ SECRET_KEY_BASE: SECRET, CHAT_ALLOWED_ORIGINS: '*' }).chatAllowedOrigins).to.equal('*');
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ METRICS_TOKEN: 'short' }, /^METRICS_TOKEN: must be at least 32 characters/],
    [{ SHUTDOWN_DRAIN_MS: '5s' }, /^SHUTDOWN_DRAIN_MS: must be a whole number/],
    [{ SHUTDOWN_DRAIN_MS: '60001' }, /^SHUTDOWN_DRAIN_MS: must be between 0 and 60000/],
    [{ CHAT_ALLOWED_ORIGINS: 'chat.example.com' }, /^CHAT_ALLOWED_ORIGINS: "chat.example.com" is not an origin/],
    [{ CHAT_ALLOWED_ORIGINS: 'https://chat.example.com/path' }, /^CHAT_ALLOWED_ORIGINS: .* is not an origin/],
    [{ CHAT_MAX_SOCKETS: '10', CHAT_MAX_SOCKETS_PER_CLIENT: '11' }, /^CHAT_MAX_SOCKETS_PER_CLIENT: must be between 1 and 10/],
    [{ CHAT_HISTORY_DAYS: '-1' }, /^CHAT_HISTORY_DAYS: must be a whole number/],
    [{ HEALTHCHECK_ALLOW_LINK_LOCAL: 'maybe' }, /^HEALTHCHECK_ALLOW_LINK_LOCAL: must be true or false/],
    // A guessable secret is refused as soon as either port faces the network.
    [{ ADMIN_HOST: '0.0.0.0' }, /^SECRET_KEY_BASE: is too guessable/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig({ SECRET_KEY_BASE: 'x'.repeat(40), ...env })).to.throw(ConfigError, message);
    });
  }
});
