// GET /api/v1/routing/explain?ip=&path=: how this node's routing view answers a request from
// that client, step by step (for operators debugging a complaint).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { compileTrustedProxies } from '../../../actors/routing/client-ip.js';
import { explainFromPeer } from '../../../actors/routing/explain-proxy.js';
import type { RoutingViewHolder } from '../../../actors/routing/view-holder.js';
import { errorResponses } from '../schemas.js';
import { DOMAIN_ROLES } from './domain.js';

export interface RoutingRoutesOptions {
  view: RoutingViewHolder;
  /** TRUSTED_PROXIES: whose X-Real-IP the client port believes. */
  trustedProxies: readonly string[];
}

const ExplainQuery = Type.Object(
  {
    ip: Type.String({ minLength: 1, maxLength: 64, description: 'the client IP (IPv4 or IPv6)' }),
    path: Type.String({ minLength: 1, maxLength: 4096, description: 'the request path, e.g. /btv/live/hls/ch1' }),
    realIp: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          'an X-Real-IP header: then `ip` is the peer, and the header counts only when the peer is a trusted proxy (TRUSTED_PROXIES)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const routingRoutes: FastifyPluginAsync<RoutingRoutesOptions> = async (app, { view, trustedProxies }) => {
  const trusted = compileTrustedProxies(trustedProxies);
  app.get<{ Querystring: { ip: string; path: string; realIp?: string } }>(
    '/api/v1/routing/explain',
    {
      config: { roles: DOMAIN_ROLES },
      schema: {
        tags: ['domain'],
        summary: 'Explain a redirect decision step by step (ADMIN, MANAGER)',
        description:
          'Matched subnets in order, region, groups, candidate edges with the reason each was excluded, the stream or record ' +
          'chosen, and the result (302 URL, or the 404/400 reason) as this node would answer now. With `realIp`, the first step ' +
          'says whether the header counts (peer `ip` a trusted proxy) as on the client port.',
        querystring: ExplainQuery,
        response: {
          200: Type.Object(
            { steps: Type.Array(Type.String()), result: Type.Object({}, { additionalProperties: true }) },
            { additionalProperties: true },
          ),
          ...errorResponses(400),
        },
      },
    },
    async (request) => explainFromPeer(view.current(), request.query.ip, request.query.realIp, trusted, request.query.path),
  );
};
