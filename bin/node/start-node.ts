// Composes one node: stores, the actor tree, the two HTTP servers, membership, shutdown.
// Order (cluster.md): supervision tree and stores first, then the features, then the ports;
// /ready is 200 only when the cluster store, MongoDB and the actor tree are all up.
import type { FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { startAuth, type AuthService } from '../../actors/auth/index.js';
import type { ChatBranch } from '../../actors/chat/index.js';
import type { RejoinService } from '../../actors/cluster/rejoin-coordinator.js';
import type { VideoBranch } from '../../actors/video/index.js';
import { startActorSystem, type ActorSystem } from '../../actors/kernel/index.js';
import { startNodeTree } from '../../actors/root.js';
import type { NodeConfig } from '../../domain/config.js';
import { errorText } from '../../domain/errors.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { buildAdminServer } from '../../gateway/admin/index.js';
import { buildClientServer } from '../../gateway/client/server.js';
import { registerVideoPage } from '../../gateway/pages/index.js';
import type { ReadinessCheck } from '../../gateway/shared/readiness.js';
import { gracefulShutdown } from '../../gateway/shutdown.js';
import { ensureChatMessageIndexes } from '../../persistence/chat-messages.js';
import { MIGRATIONS, UsersRepository, connectMongo, runMigrations, type MongoHandle } from '../../persistence/index.js';
import { bootstrapPasswordFile } from './bootstrap-password.js';
import { chatAdminPlugin, startChatBranch } from './chat.js';
import { clusterInfoOf } from './cluster-info.js';
import { connectClusterStore } from './cluster-connection.js';
import { startConsoleServer } from './console-server.js';
import { monitorLongStalls } from './long-stall-monitor.js';
import { wireDirectoryLogin } from './directory.js';
import { createRoutingService } from './routing.js';
import { createRejoinWiring } from './rejoin.js';
import { createObserverWiring } from './observer.js';
import { localStatsOf, overviewSummaryOf } from './overview-stats.js';
import { startVideoBranch, videoAdminPluginOf } from './video.js';
import { createSchedulingWiring } from './scheduling.js';
import { userChangeFeed } from './user-changes.js';
import { warmUpNode } from './warm-up.js';

export interface RunningNode {
  readonly name: string;
  stop(reason: string): Promise<void>;
}

export interface NodeLoggers {
  /** Used for everything the node logs. */
  log: Logger;
  /** pino instance handed to Fastify. */
  fastifyLogger: Parameters<typeof buildAdminServer>[0]['logger'];
}

interface Features {
  cluster: RejoinService;
  auth: AuthService;
  chat: ChatBranch;
  video: VideoBranch;
}

export async function startNode(config: NodeConfig, loggers: NodeLoggers, exit: (code: number) => void): Promise<RunningNode | undefined> {
  const { log } = loggers;
  let stopping = false;
  let treeAlive = true;

  const system: ActorSystem = startActorSystem({
    log: log.child({ domain: 'actors' }),
    onGiveUp(error, path) {
      treeAlive = false;
      log.fatal({ actor: path, err: error.message }, 'the supervision tree gave up; exiting');
      exit(1);
    },
  });

  const stalls = monitorLongStalls(log);
  const mongo: MongoHandle = connectMongo({ url: config.mongodbUrl, log: log.child({ domain: 'persistence' }) });
  const storePromise = connectClusterStore(config, log.child({ domain: 'cluster' }), () => stopping);
  await mongo.ready();
  await runMigrations(mongo.db, log.child({ domain: 'migrations' }), MIGRATIONS);
  await ensureChatMessageIndexes(mongo.db);
  const store: ClusterStore | undefined = await storePromise;
  if (store === undefined) return undefined;
  const metrics = new Registry();
  metrics.setDefaultLabels({ node: config.nodeName });
  collectDefaultMetrics({ register: metrics });
  const routing = createRoutingService(config, mongo, store, log, metrics);
  const rejoin = createRejoinWiring({
    nodeName: config.nodeName,
    mongo,
    store,
    domain: () => routing.domainService(),
  });
  const scheduling = createSchedulingWiring({ config, mongo, store, domain: () => routing.domainService(), view: routing.viewHolder() });

  await warmUpNode();
  // The node's branches in start order; each starter spawns the children its branch file declares.
  const features: Features = await startNodeTree(system, {
    cluster: (ctx) => rejoin.start(ctx),
    auth: (ctx) =>
      startAuth(ctx, {
        users: new UsersRepository(mongo.db),
        secretKeyBase: config.secretKeyBase,
        tokenTtlMs: config.tokenTtlMs,
        log: log.child({ domain: 'auth' }),
        changes: userChangeFeed(store),
      }).service,
    routing: (ctx) => routing.start(ctx),
    chat: (ctx) => startChatBranch(ctx, config, mongo, store),
    video: (ctx) => startVideoBranch(ctx, config, mongo, store, log),
    scheduling: (ctx) => scheduling.start(ctx),
  });
  await features.auth.ensureBootstrapAdmin({
    savePassword: bootstrapPasswordFile(config.bootstrapPasswordFile),
    ...(config.adminEmail !== undefined ? { adminEmail: config.adminEmail } : {}),
    ...(config.adminPassword !== undefined ? { adminPassword: config.adminPassword } : {}),
  });

  const directory = wireDirectoryLogin(config, features.auth, log);
  const clusterInfo = clusterInfoOf(store);
  const readiness = (): ReadinessCheck[] => [
    // No address here: /ready is public (docs/security.md); the node's log names the server.
    { name: 'mongodb', ok: mongo.status() === 'up', message: 'MongoDB is unreachable' },
    { name: 'cluster', ok: store.status() === 'connected', message: 'the Hazelcast cluster store is unreachable' },
    { name: 'actors', ok: treeAlive && !stopping, message: stopping ? 'the node is stopping' : 'the actor tree is down' },
    routing.readiness(),
  ];
  const observer = await createObserverWiring(config.nodeName, system, store, clusterInfo, {
    localStats: localStatsOf({
      readiness,
      metrics,
      transitions: () => routing.recentTransitions(),
      view: routing.viewHolder(),
      video: features.video.service,
    }),
    summary: overviewSummaryOf({ view: routing.viewHolder(), chat: features.chat.api, video: features.video.service }),
    chatRooms: () => features.chat.api.rooms(),
  });

  const admin: FastifyInstance = await buildAdminServer({
    logger: loggers.fastifyLogger,
    auth: directory.auth,
    ...(directory.directoryLogin !== undefined ? { directoryLogin: directory.directoryLogin } : {}),
    metrics,
    readiness,
    clusterInfo,
    trustProxy: config.trustedProxies,
    login: { counters: store.counters },
    plugins: [
      chatAdminPlugin(config, features.chat, directory.auth, log),
      routing.adminPlugin(),
      rejoin.adminPlugin(),
      videoAdminPluginOf(features.video),
      async (app) => registerVideoPage(app, { nodeName: config.nodeName, directoryLogin: directory.directoryLogin !== undefined }),
      scheduling.adminPlugin(),
      observer.adminPlugin(features.cluster),
    ],
  });
  const client = await buildClientServer({ readiness, trustProxy: config.trustedProxies, routes: routing.clientRoutes(metrics) });
  await routing.waitForView();

  await admin.listen({ host: config.adminHost, port: config.port });
  await store.membership
    .join({
      name: config.nodeName,
      // Other nodes send browsers to host:port (the admin port), e.g. for video playback.
      host: config.adminHost,
      port: config.port,
      apiPort: config.apiPort,
      startedAt: new Date().toISOString(),
      ...(config.videoZone !== undefined ? { meta: { videoZone: config.videoZone } } : {}),
    })
    .catch((error: unknown) => {
      // Which step failed, not only what was thrown (a cluster call can reject with a bare null).
      throw new Error(`joining the cluster's node list failed: ${errorText(error)}`);
    });
  const consoleServer = await startConsoleServer({ system, store, mongo: mongo.db, config, log });
  // The client port opens last: set-top boxes (and nginx) reach a node whose start is over, so
  // the start's work on the event loop is not taken for overload (docs/operations.md).
  await client.listen({ host: config.host, port: config.apiPort });
  log.info({ port: config.port, apiPort: config.apiPort }, `node ${config.nodeName} ready`);

  return {
    name: config.nodeName,
    async stop(reason) {
      if (stopping) return;
      stopping = true;
      log.info(`${reason}: stopping`);
      const result = await gracefulShutdown({
        servers: [admin, client],
        log,
        drainMs: config.shutdownDrainMs,
        before: async () => {
          await store.membership.leave().catch(() => undefined);
        },
        after: async () => {
          stalls.stop();
          await consoleServer?.close();
          await observer.service.close();
          await system.stop();
          await store.close().catch(() => undefined);
          await mongo.close().catch(() => undefined);
        },
      });
      log.info({ elapsedMs: result.elapsedMs, clean: result.clean }, 'stopped');
    },
  };
}
