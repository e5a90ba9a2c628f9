// The video index's pieces for one node: the `video` branch starter and the admin-server
// plugin (zones, upload, search, playback, retention, audit). start-node.ts composes them.
import type { FastifyPluginAsync } from 'fastify';
import type { ActorContext } from '../../actors/kernel/index.js';
import { startVideo, type StorageNodeDirectory, type VideoBranch } from '../../actors/video/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { videoAdminPlugin } from '../../gateway/admin/routes/video.js';
import type { MongoHandle } from '../../persistence/index.js';
import { createVideoStore } from '../../persistence/index.js';

/** Storage nodes are the live members that announce `meta.videoZone` (start-node.ts joins with it). */
export function storageNodeDirectory(store: Pick<ClusterStore, 'membership'>): StorageNodeDirectory {
  return {
    async storageNodesOf(zone) {
      const nodes = await store.membership.nodes();
      return nodes
        .filter((node) => node.meta?.['videoZone'] === zone)
        .map((node) => ({ name: node.name, host: node.host, port: node.port }));
    },
  };
}

export function startVideoBranch(
  ctx: ActorContext<never>,
  config: NodeConfig,
  mongo: MongoHandle,
  store: ClusterStore,
  log: Logger,
): VideoBranch {
  return startVideo(ctx, {
    nodeName: config.nodeName,
    store: createVideoStore(mongo.db),
    nodes: storageNodeDirectory(store),
    leases: store.leases,
    secretKeyBase: config.secretKeyBase,
    linkTtlS: config.videoLinkTtlS,
    localZone: config.videoZone,
    scanIntervalMs: config.videoScanIntervalMs,
    retentionIntervalMs: config.videoRetentionIntervalMs,
    log: log.child({ domain: 'video' }),
  });
}

export function videoAdminPluginOf(video: VideoBranch): FastifyPluginAsync {
  return videoAdminPlugin(video.service);
}
