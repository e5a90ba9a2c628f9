// Wall-clock time per phase of a long operation, for debug logs and job reports.

export interface PhaseTimer {
  /** Ends the current phase under `name` (a repeated name adds up) and starts the next. */
  lap(name: string): void;
  /** Milliseconds per phase, rounded, in the order first seen. */
  result(): Record<string, number>;
}

export function phaseTimer(now: () => number = () => performance.now()): PhaseTimer {
  const phases = new Map<string, number>();
  let last = now();
  return {
    lap(name) {
      const at = now();
      phases.set(name, (phases.get(name) ?? 0) + (at - last));
      last = at;
    },
    result() {
      return Object.fromEntries([...phases].map(([name, ms]) => [name, Math.round(ms)]));
    },
  };
}
