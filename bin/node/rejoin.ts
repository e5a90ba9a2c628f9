// The cluster rejoin for one node: the coordinator actor (under the `cluster` branch), the
// step-2 work on the stores, and the admin routes. start-node.ts composes them.
import type { FastifyPluginAsync } from 'fastify';
import { startRejoinCoordinator, type RejoinService } from '../../actors/cluster/rejoin-coordinator.js';
import type { ActorContext } from '../../actors/kernel/index.js';
import type { DomainService } from '../../actors/routing/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { clusterRejoinRoutes } from '../../gateway/admin/routes/cluster-rejoin.js';
import { ensureChatMessageIndexes } from '../../persistence/chat-messages.js';
import {
  MongoDomainModelStore,
  USERS_COLLECTION,
  USER_INDEXES,
  ensureDomainGeneration,
  ensureDomainStorage,
  ensureIndexes,
  type MongoHandle,
} from '../../persistence/index.js';

export interface RejoinWiring {
  /** The `cluster` branch starter. */
  start(ctx: ActorContext<never>): RejoinService;
  adminPlugin(): FastifyPluginAsync;
}

export interface RejoinWiringDeps {
  nodeName: string;
  mongo: MongoHandle;
  store: ClusterStore;
  /** The node's domain service (the routing branch makes it; asked for only when a job runs). */
  domain(): DomainService;
}

/** Step 2: what MongoDB needs (Hazelcast's map configuration is static, in the member config). */
async function prepareStores(mongo: MongoHandle): Promise<string> {
  if (mongo.status() !== 'up') throw new Error(`MongoDB at ${mongo.safeUrl} is unreachable; its indexes cannot be checked`);
  await ensureDomainStorage(mongo.db);
  const { generation } = await new MongoDomainModelStore(mongo.db).at();
  await ensureDomainGeneration(mongo.db, generation);
  await ensureIndexes(mongo.db, USERS_COLLECTION, USER_INDEXES);
  await ensureChatMessageIndexes(mongo.db);
  return `MongoDB indexes ensured (domain storage generation ${generation}, users, chat messages); the cluster map configuration is static (member config)`;
}

export function createRejoinWiring(deps: RejoinWiringDeps): RejoinWiring {
  let service: RejoinService | undefined;
  return {
    start(ctx) {
      const started = startRejoinCoordinator(ctx, {
        nodeName: deps.nodeName,
        store: deps.store,
        prepare: () => prepareStores(deps.mongo),
        rebuild: (reason) => deps.domain().rebuildMaps(reason),
      });
      // Refs are path-stable: the service of the first start keeps working after restarts.
      service ??= started.service;
      return started.service;
    },
    adminPlugin() {
      if (service === undefined) throw new Error('start the cluster branch before building the admin server');
      const rejoin = service;
      return async (app) => {
        await app.register(clusterRejoinRoutes, { rejoin });
      };
    },
  };
}
