// Service endpoints (no auth): /health, /ready, /metrics.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { evaluateReadiness, notReadyMessage, type Readiness } from '../../shared/readiness.js';
import { ErrorSchema } from '../schemas.js';

export interface ServiceRoutesOptions {
  readiness: Readiness;
  metrics: Registry;
}

export const serviceRoutes: FastifyPluginAsync<ServiceRoutesOptions> = async (app, { readiness, metrics }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'Liveness: 200 while the process serves',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['service'],
        summary: 'Readiness: 200 when the cluster store, MongoDB and the actor tree are up',
        response: {
          200: Type.Object({ status: Type.Literal('ready') }),
          503: Type.Object(ErrorSchema.properties, { description: 'Not ready; details name what is down' }),
        },
      },
    },
    async (_request, reply) => {
      const report = await evaluateReadiness(readiness);
      if (report.ready) return { status: 'ready' as const };
      return reply.code(503).send({
        error: 'not_ready',
        message: notReadyMessage(report.down),
        details: report.down.map((check) => ({ path: check.name, message: check.message ?? 'down' })),
      });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text format' }) },
      },
    },
    async (_request, reply) => {
      const text = await metrics.metrics();
      return reply.type(metrics.contentType).send(text);
    },
  );
};
