import { expect } from 'chai';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { StoreUnavailableError, isDuplicateKeyError, isUnavailableError } from '../../persistence/errors.js';
import { redactMongoUrl, redactSecrets } from '../../persistence/redact.js';
import { connectMongo, formatDelay } from '../../persistence/connection.js';
import { freePort } from '../support/ports.js';
import { captureLogger } from '../support/capture-logger.js';

describe('persistence URL redaction', () => {
  it('hides user and password, keeps host, db and harmless options', () => {
    expect(redactMongoUrl('mongodb://alice:s3cr3t@db.example:27017/beam?authSource=admin')).to.equal(
      'mongodb://***@db.example:27017/beam?authSource=admin',
    );
    expect(redactMongoUrl('mongodb+srv://bob:p%40ss@cluster0.x.net/app')).to.equal('mongodb+srv://***@cluster0.x.net/app');
    expect(redactMongoUrl('mongodb://127.0.0.1:27017/beamstack')).to.equal('mongodb://127.0.0.1:27017/beamstack');
  });

  it('over-redacts rather than leaks when the password has a raw @', () => {
    const out = redactMongoUrl('mongodb://carol:pa@ss@h:1/d');
    expect(out).to.equal('mongodb://***@h:1/d');
    expect(out).to.not.include('pa');
  });

  it('hides secret-looking query values', () => {
    const out = redactMongoUrl(
      'mongodb://h/d?tlsCertificateKeyFilePassword=hunter2&authMechanismProperties=AWS_SESSION_TOKEN:tok&w=majority',
    );
    expect(out).to.equal('mongodb://h/d?tlsCertificateKeyFilePassword=***&authMechanismProperties=***&w=majority');
  });

  it('scrubs the URL and its password from free text', () => {
    const url = 'mongodb://dave:topsecret@h:27017/x';
    const text = redactSecrets(`failed for ${url}; auth topsecret rejected; also mongodb://eve:pw@other/`, url);
    expect(text).to.not.include('topsecret');
    expect(text).to.not.include('eve:pw');
    expect(text).to.include('mongodb://***@h:27017/x');
  });

  it('formats retry delays', () => {
    expect(formatDelay(250)).to.equal('250ms');
    expect(formatDelay(2000)).to.equal('2s');
    expect(formatDelay(1500)).to.equal('1.5s');
  });
});

describe('persistence connectMongo while MongoDB is unreachable', () => {
  it('logs one clear line per failed attempt, without credentials, with growing delays', async () => {
    const port = await freePort(); // nothing listens here
    const log = captureLogger();
    const handle = connectMongo({
      url: `mongodb://admin:VerySecret99@127.0.0.1:${port}/beam`,
      log,
      serverSelectionTimeoutMS: 150,
      retryInitialMs: 50,
      retryMaxMs: 100,
      pingIntervalMs: 0,
    });
    try {
      const deadline = Date.now() + 5000;
      while (log.lines.filter((l) => l.level === 'warn').length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(handle.status()).to.equal('down');
    } finally {
      await handle.close();
    }
    const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings.length).to.be.greaterThanOrEqual(3);
    expect(warnings[0]).to.match(
      new RegExp(`^MongoDB unreachable at mongodb://\\*\\*\\*@127\\.0\\.0\\.1:${port}/beam \\(MONGODB_URL\\): .+; retrying in 50ms$`),
    );
    expect(warnings[1]).to.match(/retrying in 100ms$/);
    expect(warnings[2]).to.match(/retrying in 100ms$/);
    expect(log.text()).to.not.include('VerySecret99');
    expect(log.text()).to.not.include('admin:');
    let rejected: unknown;
    await handle.ready().catch((err: unknown) => (rejected = err));
    expect(String(rejected)).to.include('closed before it was established');
  });

  it('refuses an unparsable URL with a message naming the variable and no password', () => {
    expect(() => connectMongo({ url: 'mongodb://u:Hidden123@/nohost', log: captureLogger() }))
      .to.throw(/MONGODB_URL is not a usable MongoDB URL/)
      .with.property('message')
      .that.does.not.include('Hidden123');
  });
});

describe('persistence error classification', () => {
  it('treats driver and raw socket failures as unavailable, other errors not', () => {
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(isUnavailableError(epipe)).to.equal(true);
    expect(isUnavailableError(new MongoNetworkError('connect ECONNREFUSED'))).to.equal(true);
    expect(isUnavailableError(new MongoServerSelectionError('timed out', {} as never))).to.equal(true);
    expect(isUnavailableError(new StoreUnavailableError())).to.equal(true);
    expect(isUnavailableError(new Error('bug'))).to.equal(false);
    expect(isUnavailableError(new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 }))).to.equal(false);
    expect(isUnavailableError(undefined)).to.equal(false);

    expect(isDuplicateKeyError(new MongoServerError({ message: 'E11000 duplicate key error collection: x.y', code: 11000 }))).to.equal(
      true,
    );
    const ferretUpdateClash = new MongoServerError({
      message: "[update.go:114] constraint failed: UNIQUE constraint failed: index 'g_e20c2606_n_u' (2067)",
      code: 1,
    });
    expect(isDuplicateKeyError(ferretUpdateClash)).to.equal(true);
    expect(isDuplicateKeyError(new MongoServerError({ message: 'other internal error', code: 1 }))).to.equal(false);
  });
});
