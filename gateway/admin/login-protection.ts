// Wiring of the login route's protections: the shared failure counters (the cluster store's,
// so every node sees the same counts), the limiter, the per-node cap on password checks and
// the client-address rule.
import type { ClusterCounters } from '../../domain/ports/cluster-store.js';
import { clientKeyResolver, type ClientKeyOf } from './client-address.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { LoginLimiter, type LoginLimiterOptions } from './login-limiter.js';

/** Password checks at once per node: half of libuv's default pool of 4 threads. */
export const DEFAULT_PASSWORD_CHECKS = 2;

export interface LoginProtectionOptions {
  /** The cluster store's counters (store.counters). */
  counters: ClusterCounters;
  limits?: LoginLimiterOptions;
  /** Password checks running at once on this node (default 2); beyond it 429. */
  concurrency?: number;
}

/** `trustProxy` as the admin server gets it: the TRUSTED_PROXIES list (`true` trusts every peer: tests only). */
export function loginProtection(
  options: LoginProtectionOptions,
  trustProxy: readonly string[] | boolean,
): { limiter: LoginLimiter; passwordChecks: ConcurrencyLimit; clientKeyOf: ClientKeyOf } {
  const trusted = trustProxy === true ? ['0.0.0.0/0', '::/0'] : trustProxy === false ? [] : trustProxy;
  return {
    limiter: new LoginLimiter(options.counters, options.limits ?? {}),
    passwordChecks: new ConcurrencyLimit(options.concurrency ?? DEFAULT_PASSWORD_CHECKS),
    clientKeyOf: clientKeyResolver(trusted),
  };
}
