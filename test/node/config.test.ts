// The parts of domain/config.ts the operations tooling relies on: the stores-only loader
// (ctl needs no secret), the Hazelcast timing rule, and CONSOLE_SOCKET="" switching the console off.
import { expect } from 'chai';
import { ConfigError, loadConfig, loadStoresConfig } from '../../domain/config.js';

const SECRET = { SECRET_KEY_BASE: 'x'.repeat(40) };

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('node configuration for operations', () => {
  it('loadStoresConfig needs neither SECRET_KEY_BASE nor ports, and has the defaults', () => {
    expect(loadStoresConfig({})).to.deep.equal({
      mongodbUrl: 'mongodb://127.0.0.1:27017/beamstack',
      hzMembers: ['127.0.0.1:5701'],
      hzClusterName: 'beamstack',
      heartbeatIntervalMs: 2000,
      nodeDownAfterMs: 8000,
    });
    expect(loadStoresConfig({ MONGODB_URL: 'mongodb://db:1/x', HZ_MEMBERS: 'a:1, b:2', PORT: 'not checked here' })).to.include({
      mongodbUrl: 'mongodb://db:1/x',
    });
    expect(configError(() => loadStoresConfig({ MONGODB_URL: 'db:1' })).variable).to.equal('MONGODB_URL');
  });

  it('requires NODE_DOWN_AFTER_MS >= HEARTBEAT_INTERVAL_MS + 1000 (Hazelcast expiry granularity)', () => {
    const err = configError(() => loadConfig({ ...SECRET, HEARTBEAT_INTERVAL_MS: '500', NODE_DOWN_AFTER_MS: '1499' }));
    expect(err.message).to.equal('NODE_DOWN_AFTER_MS: must be at least HEARTBEAT_INTERVAL_MS + 1000 (1500), got 1499');
    expect(loadConfig({ ...SECRET, HEARTBEAT_INTERVAL_MS: '500', NODE_DOWN_AFTER_MS: '1500' }).nodeDownAfterMs).to.equal(1500);
  });

  it('defaults CONSOLE_SOCKET to data/console-<PORT>.sock; empty switches the console off', () => {
    expect(loadConfig({ ...SECRET, PORT: '4100', API_PORT: '4101' }).consoleSocket).to.equal('data/console-4100.sock');
    expect(loadConfig({ ...SECRET, CONSOLE_SOCKET: '' }).consoleSocket).to.equal('');
    expect(loadConfig({ ...SECRET, CONSOLE_SOCKET: '  ' }).consoleSocket).to.equal('');
    expect(loadConfig({ ...SECRET, CONSOLE_SOCKET: '/run/bs.sock' }).consoleSocket).to.equal('/run/bs.sock');
  });

  it('caps TOKEN_TTL at 24 h (a stolen token must not live for weeks)', () => {
    expect(loadConfig({ ...SECRET, TOKEN_TTL: '24h' }).tokenTtlMs).to.equal(24 * 3_600_000);
    const err = configError(() => loadConfig({ ...SECRET, TOKEN_TTL: '7d' }));
    expect(err.variable).to.equal('TOKEN_TTL');
    expect(err.message).to.contain('24h');
  });

  it('DOMAIN_BODY_LIMIT_MB: 64 by default, a whole number of MiB up to 512 (one V8 string)', () => {
    expect(loadConfig(SECRET).domainBodyLimitMb).to.equal(64);
    expect(loadConfig({ ...SECRET, DOMAIN_BODY_LIMIT_MB: '400' }).domainBodyLimitMb).to.equal(400);
    for (const bad of ['0', '513', '1.5', 'lots']) {
      expect(configError(() => loadConfig({ ...SECRET, DOMAIN_BODY_LIMIT_MB: bad })).variable).to.equal('DOMAIN_BODY_LIMIT_MB');
    }
  });

  it('refuses a common ADMIN_PASSWORD', () => {
    const err = configError(() => loadConfig({ ...SECRET, ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'Password1' }));
    expect(err.variable).to.equal('ADMIN_PASSWORD');
  });
});
