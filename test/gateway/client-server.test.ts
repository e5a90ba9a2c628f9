import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildClientServer } from '../../gateway/client/server.js';
import type { ReadinessCheck } from '../../gateway/shared/readiness.js';
import { freePort } from '../support/ports.js';

describe('gateway/client: server skeleton', () => {
  let app: FastifyInstance | undefined;
  let base = '';
  const checks: ReadinessCheck[] = [
    { name: 'cluster', ok: true },
    { name: 'routing-view', ok: true },
  ];

  before(async () => {
    app = await buildClientServer({
      readiness: () => checks,
      routes: (server) => {
        server.get('/hook', async (_request, reply) => reply.redirect('http://edge.example/x', 302));
        server.get('/boom', async () => {
          throw new Error('internal detail');
        });
      },
    });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app?.close();
  });

  it('/health is 200', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal('ok');
  });

  it('/ready is 200, then 503 naming what is down', async () => {
    expect((await fetch(`${base}/ready`)).status).to.equal(200);
    checks[1]!.ok = false;
    try {
      const res = await fetch(`${base}/ready`);
      expect(res.status).to.equal(503);
      expect(await res.text()).to.equal('not ready: routing-view');
    } finally {
      checks[1]!.ok = true;
    }
  });

  it('answers unknown paths with a plain 404 and errors with a plain 500', async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('content-type')).to.contain('text/plain');
    expect(await missing.text()).to.equal('Not Found');
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).to.equal(500);
    expect(await boom.text()).to.not.contain('internal detail');
  });

  it('mounts feature routes through deps.routes', async () => {
    const res = await fetch(`${base}/hook`, { redirect: 'manual' });
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal('http://edge.example/x');
  });
});
