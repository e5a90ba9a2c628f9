// A table of entries that end at `expiresAtMs`, one per LocalCluster (shared by its handles);
// an expired entry is as good as absent and is dropped on sight. Leases and counters use it.
export class ExpiringTable<T extends { expiresAtMs: number }> {
  private readonly entries = new Map<string, T>();

  /** The entry if it has not expired. */
  live(key: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAtMs <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: T): void {
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}
