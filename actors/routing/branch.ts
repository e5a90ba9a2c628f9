// The `routing` branch: its children, in start order (like an OTP supervisor's init/1).
//
//   routing (branch supervisor, RESTART.branch)
//   ├── domain-model   writes: validate → MongoDB → cluster maps; map generations    (RESTART.owner)
//   ├── routing-view   cluster maps → immutable RoutingView → RoutingViewHolder       (RESTART.owner)
//   └── healthcheck    singleton: its worker probes the servers on the lease holder   (RESTART.owner)
//       └── healthcheck-worker                                                         (RESTART.worker)
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { ask, type ActorRef, type Spawner } from '../kernel/index.js';
import { domainModelSpec, type DomainMsg } from './domain-model.js';
import { createDomainService, type DomainService, type DomainServiceTimeouts } from './domain-service.js';
import { healthCheckerSpec, type HealthCheckerDeps } from './health/index.js';
import type { DomainModelPort } from './ports.js';
import { routingViewSpec, type EnsureMapsOutcome, type RoutingTiming, type RoutingViewDeps } from './routing-view.js';
import type { RoutingViewHolder } from './view-holder.js';

/** The health checker's settings; its servers (the view's ACTIVE ones) and writer come from the branch. */
export type RoutingHealthDeps = Omit<HealthCheckerDeps, 'node' | 'servers' | 'writer'>;

export interface RoutingDeps {
  port: DomainModelPort;
  store: ClusterStore;
  nodeName: string;
  /** Made once per node by the caller, so a restarted branch keeps feeding the same readers. */
  holder: RoutingViewHolder;
  mongoAvailable?: () => boolean;
  timing?: Partial<RoutingTiming>;
  timeouts?: Partial<DomainServiceTimeouts>;
  onSwap?: (info: { generation: number; buildMs: number; records: number }) => void;
  onPreload?: RoutingViewDeps['onPreload'];
  standbyHeapShare?: number;
  /** Without it the branch runs no health checker (tests of the domain and view actors). */
  health?: RoutingHealthDeps;
}

export interface RoutingBranch {
  domain: DomainService;
  domainRef: ActorRef<DomainMsg>;
  holder: RoutingViewHolder;
}

/** Spawns the routing branch's children under `parent` (the routing branch supervisor). */
export function startRouting(parent: Spawner, deps: RoutingDeps): RoutingBranch {
  const domainRef = parent.spawn(
    domainModelSpec({
      port: deps.port,
      store: deps.store,
      nodeName: deps.nodeName,
      servedGeneration: () => deps.holder.generation,
      ...(deps.mongoAvailable ? { mongoAvailable: deps.mongoAvailable } : {}),
    }),
  );
  parent.spawn(
    routingViewSpec({
      store: deps.store,
      holder: deps.holder,
      nodeName: deps.nodeName,
      ensureMaps: (request) =>
        ask<DomainMsg, EnsureMapsOutcome>(domainRef, (replyTo) => ({ type: 'ensure-maps', request, replyTo }), 120_000),
      ...(deps.timing ? { timing: deps.timing } : {}),
      ...(deps.onSwap ? { onSwap: deps.onSwap } : {}),
      ...(deps.onPreload ? { onPreload: deps.onPreload } : {}),
      ...(deps.standbyHeapShare !== undefined ? { standbyHeapShare: deps.standbyHeapShare } : {}),
    }),
  );
  const domain = createDomainService(domainRef, deps.timeouts);
  if (deps.health !== undefined) {
    const { holder } = deps;
    parent.spawn(
      healthCheckerSpec({
        ...deps.health,
        node: deps.nodeName,
        // Every ACTIVE server of the view, EDGE and DVR, unavailable ones included.
        servers: { activeServers: () => holder.current().model.servers.filter((server) => server.status === 'ACTIVE') },
        writer: domain,
      }),
    );
  }
  return { domain, domainRef, holder: deps.holder };
}
