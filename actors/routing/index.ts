// actors/routing: the redirect decision (pure modules), the domain-model actor that owns
// writes of the domain model, the routing actor that owns the node's routing view, and the
// health checker. The branch's children are declared in ./branch.ts.

export * from './cluster-maps.js';
export {
  DOMAIN_MODEL_ACTOR_NAME,
  MAX_REPORTED_SKIPS,
  domainModelSpec,
  type DomainModelDeps,
  type DomainMsg,
  type EntityBody,
  type EpgReport,
  type EpgSkip,
  type ListQuery,
  type ModelCounts,
  type ProgramDraft,
  type RebuildReport,
  type ReplaceModelResult,
} from './domain-model.js';
export { DEFAULT_DOMAIN_TIMEOUTS, createDomainService, type DomainService, type DomainServiceTimeouts } from './domain-service.js';
export { DomainError, type DomainErrorCode } from './errors.js';
export { itemPacer } from './slices.js';
export { RawJsonBody } from './domain-model/validate-off-loop.js';
export type { DomainGenerationPort, DomainModelPort, EntityPage, EqualityValue, StoredEntity } from './ports.js';
export {
  DEFAULT_ROUTING_TIMING,
  ROUTING_VIEW_ACTOR_NAME,
  routingViewSpec,
  type EnsureMapsOutcome,
  type EnsureMapsRequest,
  type RoutingTiming,
} from './routing-view.js';
export { RoutingViewHolder } from './view-holder.js';

export { startRouting, type RoutingBranch, type RoutingDeps, type RoutingHealthDeps } from './branch.js';
