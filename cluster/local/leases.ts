// Local leases: one table per LocalCluster (./expiring-table.ts).
import type { ClusterLeases, LeaseInfo } from '../../domain/ports/cluster-store.js';
import { validateLease } from '../codec.js';
import type { HandleContext } from './dispatch.js';
import { ExpiringTable } from './expiring-table.js';

interface Lease {
  holder: string;
  expiresAtMs: number;
}

/** The leases of one LocalCluster. */
export class LocalLeaseTable extends ExpiringTable<Lease> {}

function info(name: string, lease: Lease): LeaseInfo {
  return { name, holder: lease.holder, expiresAt: new Date(lease.expiresAtMs).toISOString() };
}

export class LocalLeases implements ClusterLeases {
  constructor(
    private readonly table: LocalLeaseTable,
    private readonly handle: HandleContext,
  ) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    this.handle.checkOpen();
    validateLease(name, holder, ttlMs);
    const now = Date.now();
    const current = this.table.live(name, now);
    if (current && current.holder !== holder) return false;
    this.table.set(name, { holder, expiresAtMs: now + ttlMs });
    return true;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    this.handle.checkOpen();
    validateLease(name, holder, ttlMs);
    const now = Date.now();
    const current = this.table.live(name, now);
    if (!current || current.holder !== holder) return false;
    current.expiresAtMs = now + ttlMs;
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    this.handle.checkOpen();
    validateLease(name, holder);
    if (this.table.live(name)?.holder === holder) this.table.delete(name);
  }

  async holder(name: string): Promise<LeaseInfo | undefined> {
    this.handle.checkOpen();
    validateLease(name, 'any');
    const lease = this.table.live(name);
    return lease ? info(name, lease) : undefined;
  }

  async all(): Promise<LeaseInfo[]> {
    this.handle.checkOpen();
    const now = Date.now();
    const result: LeaseInfo[] = [];
    for (const name of this.table.keys()) {
      const lease = this.table.live(name, now);
      if (lease) result.push(info(name, lease));
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }
}
