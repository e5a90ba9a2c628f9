// The Observer and the console for one node (docs/console.md): the cross-node Observer
// service, its admin routes, and the /admin pages. start-node.ts composes them.
import type { FastifyPluginAsync } from 'fastify';
import type { RoomSummary } from '../../actors/chat/index.js';
import type { RejoinService } from '../../actors/cluster/rejoin-coordinator.js';
import type { ActorSystem } from '../../actors/kernel/index.js';
import { startObserver, type LocalNodeStats, type ObserverService } from '../../actors/observer/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import type { ClusterInfo } from '../../gateway/admin/index.js';
import { domainSchemaRoutes } from '../../gateway/admin/routes/domain-schemas.js';
import { observerRoutes } from '../../gateway/admin/routes/observer.js';
import type { OverviewSummary } from '../../gateway/admin/routes/observer-overview.js';
import { registerConsolePage } from '../../gateway/pages/index.js';

/** The overview's sources; read only once the node runs (they close over later wiring). */
export interface OverviewSources {
  localStats: () => Promise<LocalNodeStats>;
  summary: () => Promise<OverviewSummary>;
  chatRooms: () => Promise<RoomSummary[]>;
}

export interface ObserverWiring {
  service: ObserverService;
  adminPlugin(rejoin: Pick<RejoinService, 'job'>): FastifyPluginAsync;
}

export async function createObserverWiring(
  nodeName: string,
  system: ActorSystem,
  store: ClusterStore,
  clusterInfo: ClusterInfo,
  overview: OverviewSources,
): Promise<ObserverWiring> {
  const service = await startObserver({ nodeName, system, store, localStats: overview.localStats });
  return {
    service,
    adminPlugin(rejoin) {
      return async (app) => {
        await app.register(observerRoutes, {
          observer: service,
          clusterInfo,
          rejoin,
          overviewSummary: overview.summary,
          chatRooms: overview.chatRooms,
        });
        await app.register(domainSchemaRoutes);
        registerConsolePage(app, { nodeName });
      };
    },
  };
}
