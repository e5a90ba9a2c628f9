// Prometheus metrics of the routing service: redirects by kind and outcome, latency, requests
// shed, the event loop's largest delay per second, and the routing view's size, age and
// generation (read from the holder at scrape time).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RoutingViewHolder } from '../../actors/routing/view-holder.js';
import { viewAgeMs } from '../../actors/routing/view.js';
import { eventLoopDelaySampler } from './load-shedder.js';

export type RedirectKind = 'live' | 'catchup' | 'vod' | 'static' | 'unknown';
export type RedirectOutcome = '302' | '400' | '404' | '503';

const KINDS: readonly RedirectKind[] = ['live', 'catchup', 'vod', 'static', 'unknown'];
const OUTCOMES: readonly RedirectOutcome[] = ['302', '400', '404', '503'];

export interface RedirectMetrics {
  /** Counts one answer; `seconds` is the handling time. */
  observe(kind: RedirectKind, outcome: RedirectOutcome, seconds: number): void;
  /** Counts one request shed (answered 503 because the event loop lags). */
  shed(): void;
}

/** The largest event-loop delay of the last full second (the redirect port must stay under 50 ms). */
function eventLoopLagMax(): () => number {
  const sampler = eventLoopDelaySampler();
  let lastMaxMs = 0;
  const rotate = setInterval(() => {
    lastMaxMs = sampler.maxMs() ?? 0;
    sampler.reset();
  }, 1000);
  rotate.unref();
  return () => lastMaxMs;
}

export function createRedirectMetrics(registry: Registry, holder: RoutingViewHolder): RedirectMetrics {
  const total = new Counter({
    name: 'beamstack_redirects_total',
    help: 'Client-port answers by request kind and outcome (HTTP status)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'beamstack_redirect_duration_seconds',
    help: 'Time to decide and write a client-port answer',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [registry],
  });
  new Gauge({
    name: 'beamstack_routing_view_records',
    help: 'Records in the routing view, by entity',
    labelNames: ['entity'] as const,
    registers: [registry],
    collect() {
      const s = holder.current().stats;
      const sizes: Record<string, number> = {
        regions: s.regions,
        subnets: s.subnets,
        server_groups: s.serverGroups,
        servers: s.servers,
        eligible_edges: s.eligibleEdges,
        linear_channels: s.linearChannels,
        tv_streams: s.tvStreams,
        programs: s.programs,
        program_records: s.programRecords,
      };
      for (const [entity, value] of Object.entries(sizes)) this.set({ entity }, value);
    },
  });
  const shed = new Counter({
    name: 'beamstack_redirects_shed_total',
    help: 'Client-port requests shed with 503 because the event loop lagged (also counted as outcome 503)',
    registers: [registry],
  });
  const lagMaxMs = eventLoopLagMax();
  new Gauge({
    name: 'beamstack_event_loop_lag_max_seconds',
    help: 'Largest event-loop delay within the last full second',
    registers: [registry],
    collect() {
      this.set(lagMaxMs() / 1000);
    },
  });
  new Gauge({
    name: 'beamstack_routing_view_age_seconds',
    help: 'Seconds since the routing view was built',
    registers: [registry],
    collect() {
      this.set(holder.loaded ? viewAgeMs(holder.current()) / 1000 : -1);
    },
  });
  new Gauge({
    name: 'beamstack_routing_view_generation',
    help: 'Cluster map generation the routing view was built from',
    registers: [registry],
    collect() {
      this.set(holder.generation);
    },
  });
  new Gauge({
    name: 'beamstack_routing_view_build_seconds',
    help: 'How long the last routing view build took',
    registers: [registry],
    collect() {
      this.set(holder.current().stats.buildMs / 1000);
    },
  });

  // Label lookups cost more than the increment: bind every (kind, outcome) once.
  const bound = {} as Record<RedirectKind, Record<RedirectOutcome, { inc(): void }>>;
  for (const kind of KINDS) {
    bound[kind] = {} as Record<RedirectOutcome, { inc(): void }>;
    for (const outcome of OUTCOMES) bound[kind][outcome] = total.labels(kind, outcome);
  }
  return {
    observe(kind, outcome, seconds) {
      bound[kind][outcome].inc();
      latency.observe(seconds);
    },
    shed() {
      shed.inc();
    },
  };
}
