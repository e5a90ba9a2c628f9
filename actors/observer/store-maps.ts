// The cluster-store maps the Observer lists (docs/console.md): the domain model of the
// generation every node serves and the maps of the other features, each with its entry count.
// The store has no size call, so entries are read to be counted: fine for an operator's
// page (once a second at most), not for a hot path.
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { COLLECTION_NAMES } from '../../domain/routing/entities.js';
import { PRESENCE_MAP } from '../chat/presence.js';
import { REJOIN_JOBS_MAP } from '../cluster/rejoin-coordinator.js';
import { DOMAIN_META_MAP, DOMAIN_WRITERS_MAP, generationMapName, readMeta } from '../routing/cluster-maps.js';
import { REPORTS_MAP } from '../scheduling/index.js';

export interface StoreMapView {
  name: string;
  entries: number;
  /** The domain-model generation the map belongs to (domain maps only). */
  generation?: number;
}

export interface StoreMapsView {
  /** The generation every node serves; absent when the maps are missing (fresh Hazelcast). */
  generation?: number;
  switchedAt?: string;
  maps: StoreMapView[];
}

const SMALL_MAPS = [DOMAIN_META_MAP, DOMAIN_WRITERS_MAP, PRESENCE_MAP, REJOIN_JOBS_MAP, REPORTS_MAP];

const countEntries = async (store: ClusterStore, name: string): Promise<number> => (await store.map<unknown>(name).entries()).length;

export async function storeMaps(store: ClusterStore): Promise<StoreMapsView> {
  const meta = await readMeta(store);
  const small = await Promise.all(
    SMALL_MAPS.map(async (name): Promise<StoreMapView> => ({ name, entries: await countEntries(store, name) })),
  );
  if (meta === undefined) return { maps: small };
  const { generation } = meta;
  const domain = await Promise.all(
    COLLECTION_NAMES.map(async (collection): Promise<StoreMapView> => {
      const name = generationMapName(generation, collection);
      return { name, entries: await countEntries(store, name), generation };
    }),
  );
  return { generation, switchedAt: meta.switchedAt, maps: [...domain, ...small] };
}
