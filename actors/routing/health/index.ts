// The health checker (docs/routing.md, health checks): a cluster singleton whose worker probes the
// servers and writes availability changes. Every node runs the singleton actor; only the
// node holding the lease runs the worker, and another node takes over when it dies.
import type { ClusterLeases } from '../../../domain/ports/cluster-store.js';
import type { ActorSpec } from '../../kernel/index.js';
import { singletonSpec, type SingletonMsg } from '../../cluster/singleton.js';
import { healthWorkerSpec, type HealthWorkerOptions } from './worker.js';

export type { AvailabilityWriter, RoundSummary, ServerSource } from './ports.js';
export {
  healthWorkerSpec,
  DEFAULT_CONCURRENCY,
  DEFAULT_PROBE_TIMEOUT_MS,
  type HealthWorkerMsg,
  type HealthWorkerOptions,
} from './worker.js';
export { probe, probeUrl, type ProbeResult } from './probe.js';

export const HEALTHCHECK_LEASE = 'singleton.healthcheck';
export const HEALTHCHECK_ACTOR = 'healthcheck';
export const HEALTHCHECK_WORKER = 'healthcheck-worker';

export interface HealthCheckerDeps extends HealthWorkerOptions {
  leases: Pick<ClusterLeases, 'acquire' | 'renew' | 'release'>;
  /** Default `singleton.healthcheck`. */
  leaseName?: string;
  /**
   * Default: the interval, clamped to 1..15 s. A dead holder is replaced within about
   * 4/3 of it (expiry plus one acquire attempt), so within 2 check periods.
   */
  leaseTtlMs?: number;
  /** Notified when this node starts or stops being the checker (metrics, node list). */
  onLeaseChange?: (held: boolean) => void;
}

export function defaultLeaseTtlMs(intervalMs: number): number {
  return Math.min(Math.max(intervalMs, 1_000), 15_000);
}

export function healthCheckerSpec(deps: HealthCheckerDeps): ActorSpec<unknown, SingletonMsg> {
  const { leases, leaseName, leaseTtlMs, onLeaseChange, ...worker } = deps;
  return singletonSpec(HEALTHCHECK_ACTOR, {
    lease: leaseName ?? HEALTHCHECK_LEASE,
    holder: deps.node,
    leases,
    leaseTtlMs: leaseTtlMs ?? defaultLeaseTtlMs(deps.intervalMs),
    worker: healthWorkerSpec(HEALTHCHECK_WORKER, worker),
    ...(onLeaseChange ? { onChange: onLeaseChange } : {}),
  });
}
