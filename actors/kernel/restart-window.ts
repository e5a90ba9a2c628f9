// OTP restart intensity: more than `maxRestarts` crashes within `withinMs` means give up.
import { RESTART } from './policies.js';
import type { RestartPolicy } from './types.js';

export const DEFAULT_RESTART_POLICY: RestartPolicy = RESTART.default;

export function validateRestartPolicy(policy: RestartPolicy, actorName: string): RestartPolicy {
  const { maxRestarts, withinMs } = policy;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) {
    throw new TypeError(`actor "${actorName}": restart.maxRestarts must be an integer >= 0, got ${String(maxRestarts)}`);
  }
  if (!Number.isFinite(withinMs) || withinMs <= 0) {
    throw new TypeError(`actor "${actorName}": restart.withinMs must be a number > 0, got ${String(withinMs)}`);
  }
  return { maxRestarts, withinMs };
}

export class RestartWindow {
  private readonly crashTimes: number[] = [];

  constructor(private readonly policy: RestartPolicy) {}

  /** Records a crash at `now` (monotonic ms); true if a restart is still allowed. */
  recordCrash(now: number): boolean {
    this.crashTimes.push(now);
    const oldest = now - this.policy.withinMs;
    while (this.crashTimes.length > 0 && this.crashTimes[0]! <= oldest) this.crashTimes.shift();
    return this.crashTimes.length <= this.policy.maxRestarts;
  }

  /** Crashes counted in the current window. */
  get recentCrashes(): number {
    return this.crashTimes.length;
  }
}
