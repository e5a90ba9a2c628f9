// The machine's CPU use from /proc/stat, and waiting until it is quiet: B6 starts each of its
// measured windows only once the background work of what came before (a PUT's look-up indexes,
// the spare validation worker's boot) is over, so a window measures its own subject
// (docs/performance.md, "How it measures").
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The machine's CPU ticks (/proc/stat first line): user, nice, system, idle, iowait, irq, softirq, steal. */
export function machineCpuTicks(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
}

const IDLE = 3;
const IOWAIT = 4;

/** The busy share (0–1) of all cores between two readings of machineCpuTicks(). */
export function busyShare(before: readonly number[], after: readonly number[]): number {
  const delta = after.map((v, i) => v - (before[i] ?? 0));
  const total = delta.reduce((sum, v) => sum + v, 0);
  const idle = (delta[IDLE] ?? 0) + (delta[IOWAIT] ?? 0);
  return total <= 0 ? 0 : (total - idle) / total;
}

/**
 * Waits until one second of the machine's CPU is less than `belowShare` busy, at most `maxMs`;
 * resolves with the milliseconds waited and whether it became quiet. Undefined where /proc/stat
 * cannot be read (then it does not wait).
 */
export async function waitForQuietMachine(belowShare = 0.25, maxMs = 30_000): Promise<{ waitedMs: number; quiet: boolean } | undefined> {
  const started = performance.now();
  let before: number[];
  try {
    before = machineCpuTicks();
  } catch {
    return undefined;
  }
  for (;;) {
    await sleep(1_000);
    const after = machineCpuTicks();
    const waitedMs = Math.round(performance.now() - started);
    if (busyShare(before, after) < belowShare) return { waitedMs, quiet: true };
    if (waitedMs >= maxMs) return { waitedMs, quiet: false };
    before = after;
  }
}
