// Leases on the IMap `cluster.leases` (the CP subsystem is Enterprise-only): one entry per
// lease holding `{holder, acquiredAt}`, with a TTL so a dead holder's lease expires on the
// member by itself.
//  - acquire = putIfAbsent with TTL (atomic: one winner);
//  - renew = setTtl, then read back that the entry is still ours. (IMap.replace would reset
//    the TTL to infinite, and a crash before the next setTtl would pin the lease forever.)
//  - release = remove only if the stored value is still ours.
// The member keeps expiry times in whole seconds and may round an entry's end down by up to
// a second, so the TTL asked of it is one second longer: a lease never ends early (it may
// end up to a second late), which keeps "at most one holder" safe.
import type { IMap } from 'hazelcast-client';
import type { ClusterLeases, LeaseInfo } from '../../domain/ports/cluster-store.js';
import { decodeLeaseHolder, encodeLease, validateLease } from '../codec.js';

export const LEASES_MAP = 'cluster.leases';
const EXPIRY_GRANULARITY_MS = 1000;

type RawMap = IMap<string, string>;

function memberTtl(ttlMs: number): number {
  return ttlMs + EXPIRY_GRANULARITY_MS;
}

export class HazelcastLeases implements ClusterLeases {
  constructor(private readonly open: () => Promise<RawMap>) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    validateLease(name, holder, ttlMs);
    const map = await this.open();
    const previous = await map.putIfAbsent(name, encodeLease(holder, Date.now()), memberTtl(ttlMs));
    if (previous === null || previous === undefined) return true;
    // Acquiring what we already hold extends it.
    if (decodeLeaseHolder(previous) === holder) return this.renew(name, holder, ttlMs);
    return false;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    validateLease(name, holder, ttlMs);
    const map = await this.open();
    if (!(await this.isHeldBy(map, name, holder))) return false;
    if (!(await map.setTtl(name, memberTtl(ttlMs)))) return false;
    // If it expired and another node took it between the two calls, we just extended
    // their lease: harmless for them, and we must not believe we hold it.
    return this.isHeldBy(map, name, holder);
  }

  async release(name: string, holder: string): Promise<void> {
    validateLease(name, holder);
    const map = await this.open();
    const current = await map.get(name);
    if (current === null || current === undefined) return;
    if (decodeLeaseHolder(current) !== holder) return;
    await map.remove(name, current);
  }

  async holder(name: string): Promise<LeaseInfo | undefined> {
    validateLease(name, 'any');
    return this.info(await this.open(), name);
  }

  async all(): Promise<LeaseInfo[]> {
    const map = await this.open();
    const names = await map.keySet();
    const leases = await Promise.all(names.map((name) => this.info(map, name)));
    return leases.filter((l): l is LeaseInfo => l !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async isHeldBy(map: RawMap, name: string, holder: string): Promise<boolean> {
    const current = await map.get(name);
    return current !== null && current !== undefined && decodeLeaseHolder(current) === holder;
  }

  /** The expiry comes from the member's entry view (the value does not change on renew). */
  private async info(map: RawMap, name: string): Promise<LeaseInfo | undefined> {
    const view = await map.getEntryView(name);
    if (view === null || view === undefined) return undefined;
    const holder = decodeLeaseHolder(view.value);
    if (holder === undefined) return undefined;
    return { name, holder, expiresAt: new Date(view.expirationTime.toNumber()).toISOString() };
  }
}
