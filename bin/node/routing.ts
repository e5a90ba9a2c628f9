// The routing service's pieces for one node: the routing branch starter, the admin routes,
// the client route, readiness and metrics. start-node.ts composes them with the rest.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { ActorContext } from '../../actors/kernel/index.js';
import type { EdgeTransition } from '../../actors/observer/index.js';
import { defaultLeaseTtlMs } from '../../actors/routing/health/index.js';
import { RoutingViewHolder, startRouting, type DomainService, type RoutingBranch } from '../../actors/routing/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { routingAdminPlugin } from '../../gateway/admin/routes/routing-admin.js';
import { createRedirectMetrics } from '../../gateway/client/redirect-metrics.js';
import { redirectRoute } from '../../gateway/client/redirect-route.js';
import type { ReadinessCheck } from '../../gateway/shared/readiness.js';
import { MongoDomainModelStore, type MongoHandle } from '../../persistence/index.js';

/** Availability changes the console's overview shows (docs/console.md). */
const RECENT_TRANSITIONS = 10;

/** How long a starting node waits for its routing view before opening its ports anyway (/ready stays 503). */
const VIEW_WAIT_MS = 30_000;

export interface RoutingService {
  /** The `routing` branch starter (its children: actors/routing/branch.ts). */
  start(ctx: ActorContext<never>): RoutingBranch;
  /** The domain service (after the first start). */
  domainService(): DomainService;
  /** This node's routing view (read-only; the scheduling jobs read the model from it). */
  viewHolder(): RoutingViewHolder;
  /** Resolves once the routing view is loaded (or after a timeout, logged). */
  waitForView(): Promise<void>;
  readiness(): ReadinessCheck;
  /** The newest availability changes this node's health checker wrote (the overview). */
  recentTransitions(): EdgeTransition[];
  adminPlugin(): FastifyPluginAsync;
  /** The client server's `routes` hook. */
  clientRoutes(metrics: Registry): (app: FastifyInstance) => Promise<void>;
}

/**
 * The health-check lease TTL. A dead holder is replaced after its lease expired plus one
 * acquire attempt (a third of the TTL); Hazelcast may keep an entry up to 1 s past its TTL,
 * so there the TTL is shortened to keep the takeover within 2 check periods (spec §3).
 */
export function healthLeaseTtlMs(intervalMs: number, store: Pick<ClusterStore, 'kind'>): number {
  const ttl = defaultLeaseTtlMs(intervalMs);
  if (store.kind !== 'hazelcast') return ttl;
  const fits = Math.floor(((2 * intervalMs - 1000 - 250) * 3) / 4);
  return Math.max(300, Math.min(ttl, fits));
}

export function createRoutingService(
  config: NodeConfig,
  mongo: MongoHandle,
  store: ClusterStore,
  log: Logger,
  metrics: Registry,
): RoutingService {
  const routingLog = log.child({ domain: 'routing' });
  // One holder per node: a restarted routing branch keeps feeding the same readers.
  const holder = new RoutingViewHolder();
  const port = new MongoDomainModelStore(mongo.db);
  let domain: DomainService | undefined;
  // Registered once: the routing branch may start again after a crash.
  const transitions = new Counter({
    name: 'beamstack_healthcheck_transitions_total',
    help: 'Server availability changes written by the health checker',
    labelNames: ['server', 'to'] as const,
    registers: [metrics],
  });
  const recent: EdgeTransition[] = [];

  return {
    start(ctx) {
      const branch = startRouting(ctx, {
        port,
        store,
        nodeName: config.nodeName,
        holder,
        mongoAvailable: () => mongo.status() === 'up',
        health: {
          leases: store.leases,
          leaseTtlMs: healthLeaseTtlMs(config.healthcheckIntervalMs, store),
          intervalMs: config.healthcheckIntervalMs,
          fall: config.healthcheckFall,
          rise: config.healthcheckRise,
          allowLinkLocal: config.healthcheckAllowLinkLocal,
          onTransition: (server, available) => {
            transitions.inc({ server: server.domainName, to: available ? 'available' : 'unavailable' });
            recent.unshift({ server: server.domainName, available, at: new Date().toISOString() });
            recent.length = Math.min(recent.length, RECENT_TRANSITIONS);
          },
        },
      });
      // Refs are path-stable: the service of the first start keeps working after restarts.
      domain ??= branch.domain;
      return branch;
    },
    domainService() {
      if (domain === undefined) throw new Error('the routing branch has not started yet');
      return domain;
    },
    viewHolder: () => holder,
    recentTransitions: () => [...recent],
    async waitForView() {
      if (!(await holder.whenLoaded(VIEW_WAIT_MS))) {
        routingLog.warn(`the routing view is not loaded after ${VIEW_WAIT_MS / 1000}s; opening the ports anyway (/ready stays 503)`);
      }
    },
    readiness: () => ({
      name: 'routing-view',
      ok: holder.loaded,
      message: 'the routing view has not been loaded from the cluster maps yet',
    }),
    adminPlugin() {
      if (domain === undefined) throw new Error('start the routing branch before building the admin server');
      return routingAdminPlugin({
        domain,
        view: holder,
        trustedProxies: config.trustedProxies,
        domainBodyLimitMb: config.domainBodyLimitMb,
      });
    },
    clientRoutes: (metrics) => async (app) => {
      await app.register(redirectRoute, {
        view: holder,
        trustedProxies: config.trustedProxies,
        log: routingLog,
        metrics: createRedirectMetrics(metrics, holder),
      });
    },
  };
}
