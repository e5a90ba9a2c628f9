// ClusterMap over a Hazelcast IMap. Values are stored as text (../codec.ts: the JSON of
// `{version, value}`, or a string value as it is after a version header), so any member or
// client sees plain text, and a versioned set is a compare-and-set loop.
import { Predicates, type EntryEvent, type IMap } from 'hazelcast-client';
import type { Logger } from '../../domain/log.js';
import type { ClusterMap, MapChange, Unsubscribe, VersionedValue } from '../../domain/ports/cluster-store.js';
import { decodeVersioned, encodeVersioned, validateVersion } from '../codec.js';

type RawMap = IMap<string, string>;

// Each attempt loses only to a concurrent writer, and versions only grow, so a handful
// of attempts always settles the race; more means something is badly wrong.
const MAX_CAS_ATTEMPTS = 32;

export class HazelcastClusterMap<V> implements ClusterMap<V> {
  private proxy: Promise<RawMap> | undefined;

  constructor(
    readonly name: string,
    private readonly open: (name: string) => Promise<RawMap>,
    private readonly log: Logger,
  ) {}

  private raw(): Promise<RawMap> {
    if (!this.proxy) {
      const opening = this.open(this.name);
      this.proxy = opening;
      opening.catch(() => {
        if (this.proxy === opening) this.proxy = undefined;
      });
    }
    return this.proxy;
  }

  private decode(key: string, raw: unknown): VersionedValue<V> | undefined {
    const decoded = decodeVersioned<V>(raw);
    if (!decoded) this.log.warn({ map: this.name, key }, 'cluster map: ignoring a malformed stored value');
    return decoded;
  }

  async get(key: string): Promise<VersionedValue<V> | undefined> {
    const raw = await (await this.raw()).get(key);
    return raw === null || raw === undefined ? undefined : this.decode(key, raw);
  }

  async set(key: string, value: V, version: number): Promise<boolean> {
    validateVersion(version);
    const next = encodeVersioned({ version, value });
    const map = await this.raw();
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      // The entry view comes from the member, never from the near cache, so the
      // compare-and-set below compares against what is really stored.
      const view = await map.getEntryView(key);
      if (view === null || view === undefined) {
        const previous = await map.putIfAbsent(key, next);
        if (previous === null || previous === undefined) return true;
        continue;
      }
      const current = decodeVersioned<V>(view.value);
      if (current && current.version >= version) return false;
      if (await map.replaceIfSame(key, view.value, next)) return true;
    }
    throw new Error(`cluster map ${this.name}: could not set "${key}" (too many concurrent writers)`);
  }

  async delete(key: string): Promise<void> {
    await (await this.raw()).delete(key);
  }

  async entries(): Promise<Array<[string, VersionedValue<V>]>> {
    const raw = await (await this.raw()).entrySet();
    const result: Array<[string, VersionedValue<V>]> = [];
    for (const [key, value] of raw) {
      const decoded = this.decode(key, value);
      if (decoded) result.push([key, decoded]);
    }
    return result;
  }

  async setAll(entries: Array<[string, VersionedValue<V>]>): Promise<void> {
    const pairs: Array<[string, string]> = entries.map(([key, entry]) => {
      validateVersion(entry.version);
      return [key, encodeVersioned(entry)];
    });
    const map = await this.raw();
    const wanted = new Set(pairs.map(([key]) => key));
    const existing = await map.keySet();
    // Write the new content before removing leftovers: readers never see an empty map.
    if (pairs.length > 0) await map.putAll(pairs);
    await Promise.all(existing.filter((key) => !wanted.has(key)).map((key) => map.delete(key)));
  }

  async clear(): Promise<void> {
    // removeAll (unlike IMap.clear) fires a `removed` event per entry, so listeners
    // learn which keys went away.
    await (await this.raw()).removeAll(Predicates.alwaysTrue());
  }

  async onChange(listener: (change: MapChange<V>) => void): Promise<Unsubscribe> {
    const map = await this.raw();
    const deliver = (change: MapChange<V>): void => {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ map: this.name, err }, 'cluster map listener failed');
      }
    };
    const onSet = (event: EntryEvent<string, string>): void => {
      const decoded = this.decode(event.key, event.value);
      if (decoded) deliver({ type: 'set', key: event.key, version: decoded.version, value: decoded.value });
    };
    const onDelete = (event: EntryEvent<string, string>): void => deliver({ type: 'delete', key: event.key });
    const id = await map.addEntryListener(
      { added: onSet, updated: onSet, merged: onSet, removed: onDelete, evicted: onDelete, expired: onDelete },
      undefined,
      true,
    );
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      await map.removeEntryListener(id);
    };
  }

  async destroy(): Promise<void> {
    const map = await this.raw();
    this.proxy = undefined;
    await map.destroy();
  }
}
