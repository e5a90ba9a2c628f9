// What a node reports to the console's overview (docs/console.md "Overview"): its own figures
// (readiness, redirect counters, health-check transitions, video disk) answered to any node's
// Observer, and the cluster-wide summary the serving node reads for the page (edge health from
// its routing view, chat rooms, video zones).
import { statfs } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import type { ChatApi } from '../../actors/chat/api.js';
import type { EdgeTransition, LocalNodeStats, VideoDisk } from '../../actors/observer/index.js';
import type { RoutingViewHolder } from '../../actors/routing/index.js';
import type { VideoService } from '../../actors/video/index.js';
import type { OverviewSummary } from '../../gateway/admin/routes/observer-overview.js';
import { evaluateReadiness, type Readiness } from '../../gateway/shared/readiness.js';

const REDIRECTS_METRIC = 'beamstack_redirects_total';

async function redirectCounts(metrics: Registry): Promise<{ redirects: number; redirectErrors: number }> {
  const metric = metrics.getSingleMetric(REDIRECTS_METRIC);
  if (metric === undefined) return { redirects: 0, redirectErrors: 0 };
  let redirects = 0;
  let redirectErrors = 0;
  for (const { value, labels } of (await metric.get()).values) {
    redirects += value;
    if (labels['outcome'] !== '302') redirectErrors += value;
  }
  return { redirects, redirectErrors };
}

async function videoDisk(video: VideoService): Promise<VideoDisk | undefined> {
  const zone = video.localZone;
  if (zone === undefined) return undefined;
  const { storageDir } = await video.getZone(zone);
  const disk = await statfs(storageDir);
  return { zone, usedBytes: (disk.blocks - disk.bfree) * disk.bsize, totalBytes: disk.blocks * disk.bsize };
}

export interface LocalStatsSources {
  readiness: Readiness;
  metrics: Registry;
  transitions: () => EdgeTransition[];
  view: RoutingViewHolder;
  video: VideoService;
}

export function localStatsOf(sources: LocalStatsSources): () => Promise<LocalNodeStats> {
  return async () => {
    const [report, counts, disk] = await Promise.all([
      evaluateReadiness(sources.readiness),
      redirectCounts(sources.metrics),
      // A zone not created yet, or a storageDir missing, shows as no disk figure.
      videoDisk(sources.video).catch(() => undefined),
    ]);
    return {
      ready: report.ready,
      down: report.down.map((check) => check.name),
      ...(sources.view.loaded ? { generation: sources.view.generation } : {}),
      ...counts,
      transitions: sources.transitions(),
      ...(disk !== undefined ? { videoDisk: disk } : {}),
    };
  };
}

export interface SummarySources {
  view: RoutingViewHolder;
  chat: Pick<ChatApi, 'rooms'>;
  video: Pick<VideoService, 'listZones'>;
}

export function overviewSummaryOf(sources: SummarySources): () => Promise<OverviewSummary> {
  return async () => {
    const edges = { up: 0, down: 0, inactive: 0 };
    if (sources.view.loaded) {
      for (const server of sources.view.current().serversById.values()) {
        if (server.type !== 'EDGE') continue;
        if (server.status !== 'ACTIVE') edges.inactive += 1;
        else if (server.availability) edges.up += 1;
        else edges.down += 1;
      }
    }
    const [rooms, zones] = await Promise.all([sources.chat.rooms(), sources.video.listZones()]);
    return {
      edges,
      chat: {
        rooms: rooms.length,
        members: rooms.reduce((sum, room) => sum + room.members, 0),
        connections: rooms.reduce((sum, room) => sum + room.connections, 0),
      },
      video: { zones: zones.map((zone) => zone.name) },
    };
  };
}
