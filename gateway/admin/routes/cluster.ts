// GET /api/v1/cluster/nodes: the live nodes. Read-only, so ADMIN and MANAGER may list them;
// cluster operations (rejoin) stay ADMIN-only.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ServiceUnavailableError } from '../../shared/errors.js';
import { errorResponses } from '../schemas.js';
import { errorText } from '../../../domain/errors.js';

export const ClusterNodeSchema = Type.Object({
  name: Type.String(),
  host: Type.String(),
  port: Type.Integer({ description: 'admin/app port' }),
  apiPort: Type.Integer({ description: 'client redirect port' }),
  startedAt: Type.String({ description: 'ISO-8601 UTC' }),
  lastHeartbeatAt: Type.String({ description: 'ISO-8601 UTC' }),
  singletons: Type.Array(Type.String(), { description: 'singleton leases this node holds' }),
  meta: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type ClusterNodeView = Static<typeof ClusterNodeSchema>;

/** Supplied by bin/ (it reads membership and leases from the cluster store). */
export interface ClusterInfo {
  nodes(): Promise<ClusterNodeView[]>;
}

export interface ClusterRoutesOptions {
  clusterInfo: ClusterInfo;
}

export const clusterRoutes: FastifyPluginAsync<ClusterRoutesOptions> = async (app, { clusterInfo }) => {
  app.get(
    '/api/v1/cluster/nodes',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags: ['cluster'],
        summary: 'Live nodes of the cluster (ADMIN, MANAGER)',
        response: { 200: Type.Object({ nodes: Type.Array(ClusterNodeSchema) }), ...errorResponses(503) },
      },
    },
    async (request) => {
      let nodes: ClusterNodeView[];
      try {
        nodes = await clusterInfo.nodes();
      } catch (err) {
        request.log.warn({ err: { message: errorText(err) } }, 'cluster nodes unavailable');
        throw new ServiceUnavailableError('cluster store', 'The cluster store is unavailable; try again later.');
      }
      return { nodes };
    },
  );
};
