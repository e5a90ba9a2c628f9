// actors/routing: the redirect decision (pure modules), the domain-model actor that owns
// writes of the domain model, and the routing actor that owns the node's routing view.
//
//   routing (branch supervisor)
//   ├── domain-model   writes: validate → MongoDB → cluster maps; map generations
//   └── routing-view   cluster maps → immutable RoutingView → RoutingViewHolder
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { ask, type ActorRef, type ActorSpec } from '../kernel/index.js';
import { domainActorSpec, type DomainMsg } from './domain-actor.js';
import { createDomainService, type DomainService, type DomainServiceTimeouts } from './domain-service.js';
import type { DomainModelPort } from './ports.js';
import { routingActorSpec, type EnsureMapsOutcome, type RoutingMsg, type RoutingTiming } from './routing-actor.js';
import type { RoutingViewHolder } from './view-holder.js';

export * from './cluster-maps.js';
export {
  DOMAIN_ACTOR_NAME,
  MAX_REPORTED_SKIPS,
  domainActorSpec,
  type DomainMsg,
  type EntityBody,
  type EpgReport,
  type EpgSkip,
  type ListQuery,
  type ModelCounts,
  type ProgramDraft,
  type RebuildReport,
  type ReplaceModelResult,
} from './domain-actor.js';
export { DEFAULT_DOMAIN_TIMEOUTS, createDomainService, type DomainService, type DomainServiceTimeouts } from './domain-service.js';
export { DomainError, type DomainErrorCode } from './errors.js';
export type { DomainGenerationPort, DomainModelPort, EntityPage, EqualityValue, StoredEntity } from './ports.js';
export {
  DEFAULT_ROUTING_TIMING,
  ROUTING_ACTOR_NAME,
  routingActorSpec,
  type EnsureMapsOutcome,
  type EnsureMapsRequest,
  type RoutingMsg,
  type RoutingTiming,
} from './routing-actor.js';
export { RoutingViewHolder } from './view-holder.js';

export interface Spawner {
  spawn<S, M>(spec: ActorSpec<S, M>): ActorRef<M>;
}

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
}

export interface RoutingBranch {
  domain: DomainService;
  domainRef: ActorRef<DomainMsg>;
  routingRef: ActorRef<RoutingMsg>;
  holder: RoutingViewHolder;
}

/** Spawns the domain-model actor and the routing actor under `parent` (the routing branch). */
export function startRouting(parent: Spawner, deps: RoutingDeps): RoutingBranch {
  const domainRef = parent.spawn(
    domainActorSpec({
      port: deps.port,
      store: deps.store,
      nodeName: deps.nodeName,
      servedGeneration: () => deps.holder.generation,
      ...(deps.mongoAvailable ? { mongoAvailable: deps.mongoAvailable } : {}),
    }),
  );
  const routingRef = parent.spawn(
    routingActorSpec({
      store: deps.store,
      holder: deps.holder,
      nodeName: deps.nodeName,
      ensureMaps: (request) =>
        ask<DomainMsg, EnsureMapsOutcome>(domainRef, (replyTo) => ({ type: 'ensure-maps', request, replyTo }), 120_000),
      ...(deps.timing ? { timing: deps.timing } : {}),
      ...(deps.onSwap ? { onSwap: deps.onSwap } : {}),
    }),
  );
  return { domain: createDomainService(domainRef, deps.timeouts), domainRef, routingRef, holder: deps.holder };
}
