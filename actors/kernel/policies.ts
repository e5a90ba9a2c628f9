// The named restart policies (OTP's MaxR/MaxT). Every actor's spec names one of these, so the
// intensities of the whole tree can be compared in one place.
import type { RestartPolicy } from './types.js';

/** More than `maxRestarts` crashes within `withinMs` escalates to the parent. */
function policy(maxRestarts: number, withinMs: number): RestartPolicy {
  return Object.freeze({ maxRestarts, withinMs });
}

export const RESTART = Object.freeze({
  /** The node actor: past this the system gives up and the process exits (the launcher restarts it). */
  node: policy(3, 30_000),
  /** A feature branch: restarts the whole feature with fresh state. */
  branch: policy(5, 30_000),
  /** A long-lived owner of a feature's state (domain model, routing view, singletons, coordinator). */
  owner: policy(10, 60_000),
  /** A worker doing periodic I/O for an owner (the health-check worker). */
  worker: policy(5, 60_000),
  /** A registry of dynamic children (the chat room registry). */
  registry: policy(3, 10_000),
  /** A dynamic child made on demand (a chat room). */
  dynamic: policy(5, 10_000),
  /** What an actor whose spec names no policy gets. */
  default: policy(3, 5_000),
});
