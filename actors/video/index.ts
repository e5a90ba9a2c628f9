// The `video` branch of a node (docs/video.md, docs/architecture.md):
//
//   video
//   ├── search                        every node
//   ├── indexer-<zone>                storage nodes (VIDEO_ZONE)
//   ├── retention-<zone>              storage nodes: runs retention, one run at a time
//   └── retention-singleton-<zone>    storage nodes: lease holder runs the scheduler
//       └── retention-scheduler-<zone>
import type { ClusterLeases } from '../../domain/ports/cluster-store.js';
import type { Logger } from '../../domain/log.js';
import { singletonSpec } from '../cluster/singleton.js';
import type { ActorContext, ActorRef } from '../kernel/index.js';
import { indexerSpec, type IndexerMessage } from './indexer.js';
import type { StorageNodeDirectory, VideoStore } from './ports.js';
import { retentionRunnerSpec, retentionSchedulerSpec, type RetentionRunnerMessage } from './retention-actors.js';
import { searchSpec } from './search.js';
import { createVideoService, type VideoService } from './service.js';
import { ZoneCache } from './zone-cache.js';
import type { OpenForWrite } from './file-store.js';

export type { VideoService, UploadMeta, UploadResult, PlaybackFile } from './service.js';
export type { VideoStore, StorageNodeDirectory, StorageNodeInfo, AgentTokenInfo } from './ports.js';
export type { RetentionItem, RetentionReport } from './retention.js';
export type { Requester } from './search.js';
export * from './errors.js';
export { hashAgentToken } from './service.js';

export interface VideoBranchDeps {
  nodeName: string;
  store: VideoStore;
  nodes: StorageNodeDirectory;
  leases: Pick<ClusterLeases, 'acquire' | 'renew' | 'release'>;
  secretKeyBase: string;
  linkTtlS: number;
  /** VIDEO_ZONE: the zone this node stores. */
  localZone: string | undefined;
  scanIntervalMs: number;
  retentionIntervalMs: number;
  log: Logger;
  openForWrite?: OpenForWrite;
}

export interface VideoBranch {
  service: VideoService;
}

export function retentionLease(zone: string): string {
  return `singleton.video-retention.${zone}`;
}

/** A dead holder's lease expires within this; renewed every third of it. */
export function retentionLeaseTtlMs(intervalMs: number): number {
  return Math.min(Math.max(intervalMs, 1_000), 15_000);
}

export function startVideo(ctx: ActorContext<never>, deps: VideoBranchDeps): VideoBranch {
  const zones = new ZoneCache(deps.store);
  const search = ctx.spawn(searchSpec({ store: deps.store, zones, secretKeyBase: deps.secretKeyBase, linkTtlS: deps.linkTtlS }));
  let indexer: ActorRef<IndexerMessage> | undefined;
  let runner: ActorRef<RetentionRunnerMessage> | undefined;
  const zone = deps.localZone;
  if (zone !== undefined) {
    indexer = ctx.spawn(indexerSpec({ zone, store: deps.store, scanIntervalMs: deps.scanIntervalMs, log: deps.log }));
    runner = ctx.spawn(retentionRunnerSpec({ zone, store: deps.store, log: deps.log }));
    ctx.spawn(
      singletonSpec(`retention-singleton-${zone}`, {
        lease: retentionLease(zone),
        holder: deps.nodeName,
        leases: deps.leases,
        leaseTtlMs: retentionLeaseTtlMs(deps.retentionIntervalMs),
        worker: retentionSchedulerSpec(zone, runner, deps.retentionIntervalMs, deps.log),
      }),
    );
  }
  const service = createVideoService({
    store: deps.store,
    zones,
    nodes: deps.nodes,
    nodeName: deps.nodeName,
    localZone: zone,
    secretKeyBase: deps.secretKeyBase,
    search,
    indexer,
    runner,
    ...(deps.openForWrite ? { openForWrite: deps.openForWrite } : {}),
  });
  return { service };
}
