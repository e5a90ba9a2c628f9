// Scheduling settings (docs/scheduling.md, "Settings"): defaults, validation naming the variable.
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../domain/config.js';
import { parseEpgFtpUrl } from '../../domain/scheduling/config.js';

const BASE = { SECRET_KEY_BASE: 'x'.repeat(40) };

function variableOf(env: Record<string, string>): string {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('scheduling configuration', () => {
  it('has the original production values by default, fetch off without EPG_FTP_URL', () => {
    const s = loadConfig(BASE).scheduling;
    expect(s).to.deep.equal({
      enabled: true,
      ftpDelete: false,
      epgDir: 'data/epg',
      fetchIntervalMs: 30_000,
      fetchBatch: 50,
      importIntervalMs: 500,
      minLeadS: 1800,
      scheduleIntervalMs: 15_000,
      scheduleAheadS: 1200,
      statusIntervalMs: 15_000,
      cleanupIntervalMs: 30_000,
      recordsKeepMs: 48 * 3_600_000,
      dvrUser: '',
      dvrPassword: '',
      dvrTimeoutMs: 10_000,
    });
  });

  it('reads the FTP URL: credentials decoded, folder, ftps, default port; the safe URL has no password', () => {
    const ftp = parseEpgFtpUrl('ftps://ep%40g:p%3Ass@epg.example.com/in/coming/');
    expect(ftp).to.deep.equal({
      safeUrl: 'ftps://epg.example.com/in/coming',
      protocol: 'ftps',
      host: 'epg.example.com',
      port: 21,
      user: 'ep@g',
      password: 'p:ss',
      folder: 'in/coming',
    });
    expect(parseEpgFtpUrl('ftp://h:2121').folder).to.equal('');
    expect(parseEpgFtpUrl('ftp://h').user).to.equal('anonymous');
  });

  it('fractions of hours to keep records', () => {
    expect(loadConfig({ ...BASE, RECORDS_KEEP_HOURS: '0.5' }).scheduling.recordsKeepMs).to.equal(1_800_000);
  });

  it('a bad value names its variable', () => {
    expect(variableOf({ EPG_FTP_URL: 'http://x/' })).to.equal('EPG_FTP_URL');
    expect(variableOf({ EPG_FTP_URL: 'not a url' })).to.equal('EPG_FTP_URL');
    expect(variableOf({ EPG_FTP_DELETE: 'maybe' })).to.equal('EPG_FTP_DELETE');
    expect(variableOf({ SCHEDULING_ENABLED: 'on?' })).to.equal('SCHEDULING_ENABLED');
    expect(variableOf({ EPG_FETCH_BATCH: '0' })).to.equal('EPG_FETCH_BATCH');
    expect(variableOf({ DVR_SCHEDULE_INTERVAL_MS: '15s' })).to.equal('DVR_SCHEDULE_INTERVAL_MS');
    expect(variableOf({ RECORDS_KEEP_HOURS: '-1' })).to.equal('RECORDS_KEEP_HOURS');
    expect(variableOf({ RECORDS_KEEP_HOURS: '0' })).to.equal('RECORDS_KEEP_HOURS');
    expect(variableOf({ DVR_PASSWORD: 'secret' })).to.equal('DVR_USER');
    expect(variableOf({ DVR_TIMEOUT_MS: '10' })).to.equal('DVR_TIMEOUT_MS');
  });
});
