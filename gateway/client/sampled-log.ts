// At most N log lines per second for client-port misses (400/404): enough to see what is
// wrong, never enough to slow the hot path down under a flood of bad requests. The first line
// after a suppressed stretch says how many were dropped.
import type { Logger } from '../../domain/log.js';

export interface SampledLog {
  /** Logs (at info) unless this second's budget is spent. */
  line(fields: Record<string, unknown>, message: string): void;
}

export function sampledLog(log: Logger, perSecond: number, now: () => number = Date.now): SampledLog {
  let windowStart = 0;
  let used = 0;
  let dropped = 0;
  return {
    line(fields, message) {
      const t = now();
      if (t - windowStart >= 1000) {
        windowStart = t;
        used = 0;
      }
      if (used >= perSecond) {
        dropped++;
        return;
      }
      used++;
      if (dropped > 0) {
        log.info({ ...fields, droppedSinceLast: dropped }, message);
        dropped = 0;
      } else log.info(fields, message);
    },
  };
}
