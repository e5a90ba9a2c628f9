// Local ClusterMaps: the content lives in the LocalCluster (shared by all its handles) as
// the same JSON text the Hazelcast store keeps, so every read returns a fresh copy.
import type { ClusterMap, MapChange, Unsubscribe, VersionedValue } from '../../domain/ports/cluster-store.js';
import { decodeVersioned, encodeVersioned, validateVersion } from '../codec.js';
import { Subscription, type Dispatcher, type HandleContext } from './dispatch.js';

interface MapState {
  entries: Map<string, string>;
  subscriptions: Set<Subscription<MapChange<unknown>>>;
}

/** All maps of one LocalCluster. */
export class LocalMapRegistry {
  private readonly maps = new Map<string, MapState>();

  constructor(readonly dispatcher: Dispatcher) {}

  state(name: string): MapState {
    let state = this.maps.get(name);
    if (!state) {
      state = { entries: new Map(), subscriptions: new Set() };
      this.maps.set(name, state);
    }
    return state;
  }

  drop(name: string): void {
    const state = this.maps.get(name);
    if (state) state.entries.clear();
  }
}

function decode<V>(text: string): VersionedValue<V> {
  // Only text written by encodeVersioned is stored here, so it always decodes.
  return decodeVersioned<V>(text)!;
}

/** One handle's view of a named map. */
export class LocalMap<V> implements ClusterMap<V> {
  constructor(
    readonly name: string,
    private readonly registry: LocalMapRegistry,
    private readonly handle: HandleContext,
  ) {}

  private get state(): MapState {
    this.handle.checkOpen();
    return this.registry.state(this.name);
  }

  private emitSet(key: string, text: string): void {
    const change = (): MapChange<unknown> => {
      const { version, value } = decode<unknown>(text);
      return { type: 'set', key, version, value };
    };
    this.registry.dispatcher.post(this.state.subscriptions, change, `map ${this.name}`);
  }

  private emitDelete(key: string): void {
    const change = (): MapChange<unknown> => ({ type: 'delete', key });
    this.registry.dispatcher.post(this.state.subscriptions, change, `map ${this.name}`);
  }

  async get(key: string): Promise<VersionedValue<V> | undefined> {
    const text = this.state.entries.get(key);
    return text === undefined ? undefined : decode<V>(text);
  }

  async set(key: string, value: V, version: number): Promise<boolean> {
    validateVersion(version);
    const text = encodeVersioned({ version, value });
    const { entries } = this.state;
    const current = entries.get(key);
    if (current !== undefined && decode<V>(current).version >= version) return false;
    entries.set(key, text);
    this.emitSet(key, text);
    return true;
  }

  async delete(key: string): Promise<void> {
    if (this.state.entries.delete(key)) this.emitDelete(key);
  }

  async entries(): Promise<Array<[string, VersionedValue<V>]>> {
    return [...this.state.entries].map(([key, text]) => [key, decode<V>(text)]);
  }

  async setAll(entries: Array<[string, VersionedValue<V>]>): Promise<void> {
    const encoded = entries.map(([key, entry]): [string, string] => {
      validateVersion(entry.version);
      return [key, encodeVersioned(entry)];
    });
    const current = this.state.entries;
    const wanted = new Set(encoded.map(([key]) => key));
    for (const [key, text] of encoded) {
      current.set(key, text);
      this.emitSet(key, text);
    }
    for (const key of [...current.keys()]) {
      if (!wanted.has(key)) {
        current.delete(key);
        this.emitDelete(key);
      }
    }
  }

  async clear(): Promise<void> {
    const current = this.state.entries;
    for (const key of [...current.keys()]) {
      current.delete(key);
      this.emitDelete(key);
    }
  }

  async onChange(listener: (change: MapChange<V>) => void): Promise<Unsubscribe> {
    const sub = new Subscription<MapChange<unknown>>(listener as (change: MapChange<unknown>) => void);
    const { subscriptions } = this.state;
    subscriptions.add(sub);
    this.handle.track(sub);
    return async () => {
      sub.active = false;
      subscriptions.delete(sub);
    };
  }

  async destroy(): Promise<void> {
    this.handle.checkOpen();
    this.registry.drop(this.name);
  }
}
