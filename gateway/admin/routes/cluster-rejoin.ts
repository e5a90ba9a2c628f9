// Cluster rejoin (docs/cluster.md): POST /api/v1/cluster/rejoin (ADMIN) starts a job on this
// node's rejoin coordinator → 202 { jobId }; GET /api/v1/cluster/jobs/:id (ADMIN, MANAGER)
// answers from any node. A rejoin already running anywhere → 409.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { RejoinService } from '../../../actors/cluster/rejoin-coordinator.js';
import { REJOIN_STEP_NAMES } from '../../../actors/cluster/rejoin-job.js';
import { errorResponses, IdParamsSchema } from '../schemas.js';

export interface ClusterRejoinRoutesOptions {
  rejoin: RejoinService;
}

const StepSchema = Type.Object({
  name: Type.Union(REJOIN_STEP_NAMES.map((name) => Type.Literal(name))),
  state: Type.Union(['pending', 'running', 'succeeded', 'failed', 'skipped'].map((s) => Type.Literal(s))),
  startedAt: Type.Optional(Type.String({ description: 'ISO-8601 UTC; absent while pending' })),
  finishedAt: Type.Optional(Type.String()),
  ms: Type.Optional(Type.Integer({ description: 'how long the step took' })),
  detail: Type.Optional(Type.String({ description: 'what the step did, or why it failed' })),
});

export const RejoinJobSchema = Type.Object({
  jobId: Type.String(),
  kind: Type.Literal('rejoin'),
  node: Type.String({ description: 'the node coordinating the job' }),
  requestedBy: Type.Optional(Type.String()),
  state: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  steps: Type.Array(StepSchema, { description: 'reconnect, indexes, rebuild, acknowledge — in order' }),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'records per entity in the new generation' }),
  previousGeneration: Type.Optional(Type.Integer()),
  generation: Type.Optional(Type.Integer({ description: 'the cluster map generation every node serves after the rejoin' })),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  acknowledgedBy: Type.Array(Type.String(), { description: 'nodes whose routing view reported the new generation' }),
  missingNodes: Type.Optional(Type.Array(Type.String(), { description: 'live nodes that did not acknowledge in time' })),
  rebuildTimings: Type.Optional(
    Type.Object(
      { loadMs: Type.Integer(), writeMs: Type.Integer(), switchMs: Type.Integer(), reconcileMs: Type.Integer(), totalMs: Type.Integer() },
      { description: 'the rebuild on the coordinating node: MongoDB read, map write, switch, reconcile of raced writes, total (ms)' },
    ),
  ),
  nodeTimings: Type.Optional(
    Type.Record(Type.String(), Type.Object({ readMs: Type.Integer(), buildMs: Type.Integer() }), {
      description: 'per node: how long loading the new generation took there — snapshot and deltas read, routing view built (ms)',
    }),
  ),
});

export const clusterRejoinRoutes: FastifyPluginAsync<ClusterRejoinRoutesOptions> = async (app, { rejoin }) => {
  app.post(
    '/api/v1/cluster/rejoin',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['cluster'],
        summary: 'Start a cluster rejoin (ADMIN)',
        description:
          'Rebuilds every domain-model map from MongoDB as a new generation and switches every node to it; redirects keep ' +
          'being served from the old generation until then. Follow the job with GET /api/v1/cluster/jobs/{id}. ' +
          'Any request body is ignored.',
        response: {
          202: Type.Object({ jobId: Type.String() }),
          ...errorResponses(409, 503),
        },
      },
    },
    async (request, reply) => {
      const { jobId } = await rejoin.start(request.user?.email);
      return reply
        .code(202)
        .header('location', `/api/v1/cluster/jobs/${encodeURIComponent(jobId)}`)
        .send({ jobId });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/cluster/jobs/:id',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags: ['cluster'],
        summary: 'A cluster job (rejoin) and its progress (ADMIN, MANAGER)',
        params: IdParamsSchema,
        response: { 200: RejoinJobSchema, ...errorResponses(404, 503) },
      },
    },
    async (request) => rejoin.job(request.params.id),
  );
};
