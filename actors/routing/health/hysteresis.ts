// Per-server availability with hysteresis (docs/routing.md, "Health checks"): a server goes unavailable
// after `fall` consecutive failures and available again after `rise` consecutive successes.
// Pure: the worker owns the entries and decides when a transition is written.

export interface HealthEntry {
  /** What the checker believes (and last wrote, or found when it started counting). */
  available: boolean;
  /** The availability the server source showed last time: a change there that we did not
   *  write is an operator's change and is adopted. */
  sourceAvailability: boolean;
  failures: number;
  successes: number;
}

export interface Thresholds {
  fall: number;
  rise: number;
}

export function freshEntry(available: boolean): HealthEntry {
  return { available, sourceAvailability: available, failures: 0, successes: 0 };
}

/**
 * Brings an entry in line with the source's current availability: a change the checker did
 * not make (an operator's edit) restarts counting from it; the source catching up with our
 * own write is just a confirmation.
 */
export function reconcile(entry: HealthEntry, sourceAvailability: boolean): HealthEntry {
  if (sourceAvailability === entry.sourceAvailability) return entry;
  if (sourceAvailability === entry.available) return { ...entry, sourceAvailability };
  return freshEntry(sourceAvailability);
}

/**
 * Counts one probe result. Returns the new entry and, when the threshold is reached, the
 * availability to write. The entry's `available` changes only once the write succeeded
 * (`confirmed`), so a failed write is retried on the next result.
 */
export function observe(entry: HealthEntry, healthy: boolean, t: Thresholds): { entry: HealthEntry; change?: boolean } {
  if (healthy) {
    const successes = entry.successes + 1;
    const next = { ...entry, failures: 0, successes };
    if (!entry.available && successes >= t.rise) return { entry: next, change: true };
    return { entry: next };
  }
  const failures = entry.failures + 1;
  const next = { ...entry, successes: 0, failures };
  if (entry.available && failures >= t.fall) return { entry: next, change: false };
  return { entry: next };
}

/** After a successful write: the new availability, counting starts again. */
export function confirmed(entry: HealthEntry, available: boolean): HealthEntry {
  return { ...entry, available, failures: 0, successes: 0 };
}
