// /metrics, /docs and the OpenAPI document need a token (docs/security.md, "Exposure");
// /health and /ready stay public.
import { expect } from 'chai';
import { startHarness, type Harness } from './support/harness.js';

const METRICS_TOKEN = 'metrics-token-of-at-least-thirty-two-characters';

describe('admin server: service documents need a token', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    h = await startHarness({ metricsToken: METRICS_TOKEN });
    await h.seedUser('viewer@example.test', 'viewer-password-1', 'MANAGER');
    token = await h.login('viewer@example.test', 'viewer-password-1');
  });
  after(async () => {
    await h.close();
  });

  const documents = ['/metrics', '/docs/', '/docs/json', '/docs/static/index.html', '/api/v1/openapi.json'];

  for (const path of documents) {
    it(`${path}: 401 without a token, 401 with a bad one, 200 with an API token`, async () => {
      const anonymous = await h.request('GET', path);
      expect(anonymous.status, anonymous.text).to.equal(401);
      expect(anonymous.body['error']).to.equal('unauthorized');
      expect(anonymous.text).to.not.match(/openapi|beamstack_|# TYPE/);
      const forged = await h.request('GET', path, { token: 'not-a-token' });
      expect(forged.status).to.equal(401);
      const allowed = await h.request('GET', path, { token });
      expect(allowed.status, allowed.text).to.equal(200);
    });
  }

  it('METRICS_TOKEN opens /metrics, and nothing else', async () => {
    const metrics = await h.request('GET', '/metrics', { token: METRICS_TOKEN });
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get('content-type')).to.contain('text/plain');
    const docs = await h.request('GET', '/api/v1/openapi.json', { token: METRICS_TOKEN });
    expect(docs.status).to.equal(401);
    const users = await h.request('GET', '/api/v1/users', { token: METRICS_TOKEN });
    expect(users.status).to.equal(401);
  });

  it('/health and /ready stay public', async () => {
    expect((await h.request('GET', '/health')).status).to.equal(200);
    expect((await h.request('GET', '/ready')).status).to.equal(200);
  });
});
