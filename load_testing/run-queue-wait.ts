// How long the OS kept a process's main thread waiting for a CPU while it was runnable (Linux
// /proc/<pid>/task/<pid>/schedstat, second field, ns). An event loop delayed while its thread
// waits here is late because the machine is busy, not because of the node's own work: B6 reports
// it next to each node's event-loop lag (docs/performance.md, "How it measures").
import { readFileSync } from 'node:fs';

const SAMPLE_MS = 100;

/** Run-queue wait so far of a thread, in ms; undefined where /proc has no schedstat. */
export function runQueueWaitMs(pid: number, tid = pid): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
    const waitNs = Number(fields[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

export interface RunQueueWait {
  /** Total wait while watched. */
  totalMs: number;
  /** The largest wait within one 100 ms sample. */
  maxPer100Ms: number;
}

/** Samples the main thread's wait every 100 ms until stop(); undefined when not measurable. */
export function watchRunQueueWait(pid: number): { stop(): RunQueueWait | undefined } {
  const first = runQueueWaitMs(pid);
  let last = first;
  let maxPer100Ms = 0;
  const sample = (): void => {
    const now = runQueueWaitMs(pid);
    if (now !== undefined && last !== undefined) maxPer100Ms = Math.max(maxPer100Ms, now - last);
    last = now ?? last;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return first === undefined || last === undefined ? undefined : { totalMs: last - first, maxPer100Ms };
    },
  };
}
