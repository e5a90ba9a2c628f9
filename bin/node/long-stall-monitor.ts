// Erlang's `system_monitor` long_schedule, for one Node process: a warning in the node's log
// whenever its event loop stood still longer than a threshold, so a stall that made clients
// time out can be told apart from a slow network or a stalled client (docs/operations.md).
import type { Logger } from '../../domain/log.js';
import { eventLoopDelaySampler } from '../../gateway/client/load-shedder.js';

const CHECK_EVERY_MS = 1000;

export interface LongStallMonitor {
  stop(): void;
}

export function monitorLongStalls(log: Logger, thresholdMs = 1000): LongStallMonitor {
  const sampler = eventLoopDelaySampler();
  const timer = setInterval(() => {
    const stalledMs = sampler.maxMs() ?? 0;
    sampler.reset();
    if (stalledMs > thresholdMs) log.warn({ stalledMs: Math.round(stalledMs) }, 'the event loop stood still');
  }, CHECK_EVERY_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sampler.stop();
    },
  };
}
