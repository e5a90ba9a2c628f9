import { expect } from 'chai';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ConflictError, ServiceUnavailableError } from '../../gateway/shared/errors.js';
import { startHarness, type Harness } from './support/harness.js';

function expectErrorShape(body: Record<string, unknown>, code: string): void {
  expect(body['error']).to.equal(code);
  expect(body['message']).to.be.a('string').and.not.equal('');
}

/** A feature plugin as other teams will write them: throws the shared errors. */
const probePlugin: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/probe/conflict', { config: { roles: ['ADMIN'] } }, async () => {
    throw new ConflictError('Region r1 is still used by subnet s1.');
  });
  app.get('/api/v1/probe/down', { config: { public: true } }, async () => {
    throw new ServiceUnavailableError('mongodb');
  });
  app.get('/api/v1/probe/domain-down', { config: { public: true } }, async () => {
    throw Object.assign(new Error('MongoDB is unavailable'), { code: 'UNAVAILABLE' });
  });
  app.get('/api/v1/probe/bug', { config: { public: true } }, async () => {
    throw new Error('secret internals: connection string mongodb://u:p@h');
  });
  app.post(
    '/api/v1/probe/echo',
    {
      config: { public: true },
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
        querystring: Type.Object({ mode: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])) }),
      },
    },
    async (request) => ({ got: request.body }),
  );
  // Routes registered under a prefix are protected too.
  await app.register(
    async (child) => {
      child.get('/list', async () => ({ items: [] }));
    },
    { prefix: '/api/v1/prefixed' },
  );
};

describe('gateway/admin: errors, service endpoints, OpenAPI', () => {
  let h: Harness;
  let adminToken: string;
  let managerToken: string;

  before(async () => {
    h = await startHarness({ plugins: [probePlugin], bodyLimit: 64 * 1024 });
    await h.seedUser('admin@example.com', 'admin-password', 'ADMIN');
    await h.seedUser('manager@example.com', 'manager-password', 'MANAGER');
    adminToken = await h.login('admin@example.com', 'admin-password');
    managerToken = await h.login('manager@example.com', 'manager-password');
  });
  after(async () => {
    await h?.close();
  });

  describe('error shape', () => {
    it('400 names every bad field in details', async () => {
      const res = await h.request('POST', '/api/v1/probe/echo', { body: { name: '', count: -1, extra: true } });
      expect(res.status).to.equal(400);
      expectErrorShape(res.body, 'validation_failed');
      const paths = (res.body['details'] as Array<{ path: string }>).map((d) => d.path);
      expect(paths).to.include.members(['body.name', 'body.count', 'body.extra']);
    });

    it('400 for a missing required field and a bad query value', async () => {
      const missing = await h.request('POST', '/api/v1/probe/echo', { body: { name: 'x' } });
      expect(missing.status).to.equal(400);
      expect(missing.body['details']).to.deep.include({ path: 'body.count', message: 'is required' });
      const query = await h.request('POST', '/api/v1/probe/echo?mode=z', { body: { name: 'x', count: 1 } });
      expect(query.status).to.equal(400);
      expect((query.body['details'] as Array<{ path: string }>)[0]!.path).to.equal('query.mode');
    });

    it('400 for malformed JSON and for an empty JSON body', async () => {
      const bad = await h.request('POST', '/api/v1/probe/echo', { rawBody: '{"name": "x", ' });
      expect(bad.status).to.equal(400);
      expectErrorShape(bad.body, 'invalid_json');
      const empty = await h.request('POST', '/api/v1/probe/echo', { rawBody: '' });
      expect(empty.status).to.equal(400);
      expectErrorShape(empty.body, 'invalid_json');
    });

    it('415 JSON for a content type nobody parses', async () => {
      const res = await h.request('POST', '/api/v1/probe/echo', { rawBody: 'x', headers: { 'content-type': 'application/xml' } });
      expect(res.status).to.equal(415);
      expectErrorShape(res.body, 'unsupported_media_type');
    });

    it('413 JSON for a body over the limit', async () => {
      const res = await h.request('POST', '/api/v1/probe/echo', { body: { name: 'x'.repeat(70 * 1024), count: 1 } });
      expect(res.status).to.equal(413);
      expectErrorShape(res.body, 'payload_too_large');
    });

    it('401 without a token, with a bad token, with a non-Bearer header', async () => {
      const variants: Array<Record<string, string>> = [{}, { authorization: 'Bearer nope.nope' }, { authorization: 'Basic YTpi' }];
      for (const headers of variants) {
        const res = await h.request('GET', '/api/v1/users', { headers });
        expect(res.status).to.equal(401);
        expectErrorShape(res.body, 'unauthorized');
        expect(res.headers.get('www-authenticate')).to.equal('Bearer');
      }
    });

    it('401 on prefixed feature routes and on HEAD requests too', async () => {
      expect((await h.request('GET', '/api/v1/prefixed/list')).status).to.equal(401);
      expect((await h.request('GET', '/api/v1/prefixed/list', { token: managerToken })).status).to.equal(200);
      expect((await h.request('HEAD', '/api/v1/users')).status).to.equal(401);
    });

    it('401 comes before body validation on protected routes', async () => {
      const res = await h.request('POST', '/api/v1/users', { rawBody: '{bad' });
      expect(res.status).to.equal(401);
    });

    it('403 when the role is not allowed (feature plugin route config)', async () => {
      const res = await h.request('GET', '/api/v1/probe/conflict', { token: managerToken });
      expect(res.status).to.equal(403);
      expectErrorShape(res.body, 'forbidden');
      expect(res.body['message']).to.contain('ADMIN');
    });

    it('409 from a thrown ConflictError keeps its message', async () => {
      const res = await h.request('GET', '/api/v1/probe/conflict', { token: adminToken });
      expect(res.status).to.equal(409);
      expect(res.body).to.deep.equal({ error: 'conflict', message: 'Region r1 is still used by subnet s1.' });
    });

    it('404 JSON for an unknown route (also under /api/v1, without a token)', async () => {
      for (const path of ['/nope', '/api/v1/nope?token=x']) {
        const res = await h.request('GET', path);
        expect(res.status).to.equal(404);
        expectErrorShape(res.body, 'not_found');
        expect(res.body['message']).to.not.contain('token=x');
      }
    });

    it('503 names the dependency (ServiceUnavailableError and coded domain errors)', async () => {
      const res = await h.request('GET', '/api/v1/probe/down');
      expect(res.status).to.equal(503);
      expectErrorShape(res.body, 'service_unavailable');
      expect(res.body['message']).to.contain('mongodb');
      const coded = await h.request('GET', '/api/v1/probe/domain-down');
      expect(coded.status).to.equal(503);
      expect(coded.body['message']).to.contain('MongoDB');
    });

    it('500 JSON without internals for an unexpected error', async () => {
      const res = await h.request('GET', '/api/v1/probe/bug');
      expect(res.status).to.equal(500);
      expectErrorShape(res.body, 'internal');
      expect(res.text).to.not.contain('secret internals');
      expect(res.text).to.not.contain('stack');
    });

    it('503 naming mongodb when the users store is down', async () => {
      h.users.unavailable = true;
      try {
        const res = await h.request('GET', '/api/v1/users', { token: adminToken });
        expect(res.status).to.equal(503);
        expect(res.body['message']).to.contain('mongodb');
      } finally {
        h.users.unavailable = false;
      }
    });
  });

  describe('service endpoints', () => {
    it('/health is 200 without auth', async () => {
      const res = await h.request('GET', '/health');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('/ready is 200 when every check is ok, 503 naming what is down otherwise', async () => {
      const ok = await h.request('GET', '/ready');
      expect(ok.status).to.equal(200);
      expect(ok.body).to.deep.equal({ status: 'ready' });

      h.readinessChecks[0]!.ok = false;
      h.readinessChecks[0]!.message = 'server selection timed out';
      h.readinessChecks[1]!.ok = false;
      try {
        const down = await h.request('GET', '/ready');
        expect(down.status).to.equal(503);
        expect(down.body['error']).to.equal('not_ready');
        expect(down.body['message']).to.equal('not ready: mongodb, cluster');
        expect(down.body['details']).to.deep.equal([
          { path: 'mongodb', message: 'server selection timed out' },
          { path: 'cluster', message: 'down' },
        ]);
      } finally {
        h.readinessChecks[0]!.ok = true;
        h.readinessChecks[1]!.ok = true;
      }
    });

    it('/metrics serves the registry in Prometheus text format', async () => {
      const { Counter } = await import('prom-client');
      const counter = new Counter({ name: 'beamstack_test_total', help: 'test counter', registers: [h.metrics] });
      counter.inc(3);
      const res = await h.request('GET', '/metrics', { token: adminToken });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.contain('text/plain');
      expect(res.text).to.contain('# TYPE beamstack_test_total counter');
      expect(res.text).to.contain('beamstack_test_total 3');
    });

    it('sets helmet security headers', async () => {
      const res = await h.request('GET', '/health');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    });
  });

  describe('OpenAPI', () => {
    it('serves a valid OpenAPI 3 document listing the routes, with bearerAuth', async () => {
      const res = await h.request('GET', '/api/v1/openapi.json', { token: adminToken });
      expect(res.status).to.equal(200);
      const doc = res.body;
      expect(doc['openapi']).to.match(/^3\./);
      expect(doc['components'].securitySchemes.bearerAuth).to.deep.include({ type: 'http', scheme: 'bearer' });
      const paths = Object.keys(doc['paths']);
      expect(paths).to.include.members([
        '/api/v1/sessions',
        '/api/v1/users',
        '/api/v1/users/{id}',
        '/api/v1/cluster/nodes',
        '/health',
        '/ready',
        '/metrics',
      ]);
      expect(paths).to.not.include('/api/v1/openapi.json');
      const createUser = doc['paths']['/api/v1/users'].post;
      expect(createUser.security).to.deep.equal([{ bearerAuth: [] }]);
      expect(createUser.requestBody.content['application/json'].schema.required).to.include.members(['email', 'password', 'role']);
      expect(Object.keys(createUser.responses)).to.include.members(['201', '400', '401', '403', '409']);
      expect(doc['paths']['/api/v1/sessions'].post.security).to.equal(undefined);
    });

    it('serves the docs UI at /docs', async () => {
      const res = await fetch(`${h.baseUrl}/docs/`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.contain('text/html');
      const json = await h.request('GET', '/docs/json', { token: adminToken });
      expect(json.status).to.equal(200);
      expect(json.body['openapi']).to.match(/^3\./);
    });
  });

  describe('cluster nodes', () => {
    const node = {
      name: 'first@127.0.0.1',
      host: '127.0.0.1',
      port: 4000,
      apiPort: 4001,
      startedAt: '2025-01-01T00:00:00.000Z',
      lastHeartbeatAt: '2025-01-01T00:00:05.000Z',
      singletons: ['health-checker'],
    };

    it('lists live nodes for ADMIN and MANAGER', async () => {
      h.nodes = [node];
      for (const token of [adminToken, managerToken]) {
        const res = await h.request('GET', '/api/v1/cluster/nodes', { token });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ nodes: [node] });
      }
      expect((await h.request('GET', '/api/v1/cluster/nodes')).status).to.equal(401);
    });

    it('503 naming the cluster store when it cannot answer', async () => {
      h.nodes = new Error('hazelcast: no connection');
      try {
        const res = await h.request('GET', '/api/v1/cluster/nodes', { token: adminToken });
        expect(res.status).to.equal(503);
        expect(res.body['message']).to.contain('cluster store');
        expect(res.text).to.not.contain('hazelcast: no connection');
      } finally {
        h.nodes = [];
      }
    });
  });
});
