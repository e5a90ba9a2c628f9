// The routing service's admin routes as one plugin for buildAdminServer's `plugins`.
import type { FastifyPluginAsync } from 'fastify';
import type { DomainService, RoutingViewHolder } from '../../../actors/routing/index.js';
import { domainRoutes } from './domain.js';
import { epgRoutes } from './epg.js';
import { routingRoutes } from './routing.js';

export interface RoutingAdminDeps {
  domain: DomainService;
  view: RoutingViewHolder;
  trustedProxies: readonly string[];
  /** DOMAIN_BODY_LIMIT_MB. */
  domainBodyLimitMb?: number;
}

export function routingAdminPlugin(deps: RoutingAdminDeps): FastifyPluginAsync {
  return async (app) => {
    await app.register(domainRoutes, {
      domain: deps.domain,
      ...(deps.domainBodyLimitMb !== undefined ? { bodyLimitMb: deps.domainBodyLimitMb } : {}),
    });
    await app.register(epgRoutes, { domain: deps.domain });
    await app.register(routingRoutes, { view: deps.view, trustedProxies: deps.trustedProxies });
  };
}
