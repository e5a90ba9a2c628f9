// The console's overview stream (docs/console.md "Overview"): the live nodes, each with its
// own figures asked through the Observer (readiness, redirect and error rates, edge-health
// transitions, video disk), the cluster-store maps, and the cluster-wide summary (edge health,
// chat, video zones). Rates come from two readings of a node's counters, so each open stream
// keeps its previous reading.
import type { NodeStats, ObserverService, StoreMapsView } from '../../../actors/observer/index.js';
import { errorText } from '../../../domain/errors.js';
import type { ClusterInfo, ClusterNodeView } from './cluster.js';

export interface OverviewSummary {
  /** EDGE servers: ACTIVE and available, ACTIVE and unavailable, not ACTIVE. */
  edges: { up: number; down: number; inactive: number };
  chat: { rooms: number; members: number; connections: number };
  video: { zones: string[] };
}

export interface OverviewNode extends ClusterNodeView {
  stats?: NodeStats & { redirectsPerSecond?: number; errorsPerSecond?: number };
  /** Why the node's figures could not be read. */
  statsError?: string;
}

export interface Overview {
  nodes: OverviewNode[];
  maps: StoreMapsView;
  summary?: OverviewSummary;
  summaryError?: string;
}

const perSecond = (now: number, before: number, seconds: number): number => Math.round(((now - before) / seconds) * 10) / 10;

/** A fresh producer per open stream: it remembers the last reading of every node. */
export function overviewProducer(
  observer: Pick<ObserverService, 'stats' | 'maps'>,
  clusterInfo: ClusterInfo,
  summary: (() => Promise<OverviewSummary>) | undefined,
): () => Promise<Overview> {
  const previous = new Map<string, NodeStats>();

  const withRates = (stats: NodeStats): NonNullable<OverviewNode['stats']> => {
    const before = previous.get(stats.node);
    previous.set(stats.node, stats);
    const seconds = before === undefined ? 0 : (Date.parse(stats.at) - Date.parse(before.at)) / 1000;
    if (before === undefined || seconds <= 0 || stats.redirects < before.redirects) return stats;
    return {
      ...stats,
      redirectsPerSecond: perSecond(stats.redirects, before.redirects, seconds),
      errorsPerSecond: perSecond(stats.redirectErrors, before.redirectErrors, seconds),
    };
  };

  return async () => {
    const [nodes, maps, summarized] = await Promise.all([
      clusterInfo.nodes(),
      observer.maps(),
      summary === undefined
        ? undefined
        : summary().then(
            (value) => ({ value }),
            (err: unknown) => ({ error: errorText(err) }),
          ),
    ]);
    const stats = await Promise.allSettled(nodes.map((node) => observer.stats(node.name)));
    const withStats = nodes.map((node, i): OverviewNode => {
      const got = stats[i];
      if (got?.status === 'fulfilled') return { ...node, stats: withRates(got.value) };
      return { ...node, statsError: errorText(got?.reason) };
    });
    return {
      nodes: withStats,
      maps,
      ...(summarized !== undefined && 'value' in summarized ? { summary: summarized.value } : {}),
      ...(summarized !== undefined && 'error' in summarized ? { summaryError: summarized.error } : {}),
    };
  };
}
