// Zones read on hot paths (search links, playback) are cached for a few seconds: a zone
// changes rarely, and a PATCH is seen everywhere within ZONE_CACHE_MS.
import type { VideoZone } from '../../domain/video/index.js';
import type { VideoStore } from './ports.js';

export const ZONE_CACHE_MS = 5_000;

export class ZoneCache {
  private readonly entries = new Map<string, { zone: VideoZone | undefined; at: number }>();

  constructor(
    private readonly store: Pick<VideoStore, 'getZone'>,
    private readonly ttlMs = ZONE_CACHE_MS,
  ) {}

  async get(name: string): Promise<VideoZone | undefined> {
    const hit = this.entries.get(name);
    if (hit !== undefined && Date.now() - hit.at < this.ttlMs) return hit.zone;
    const zone = await this.store.getZone(name);
    this.entries.set(name, { zone, at: Date.now() });
    return zone;
  }

  forget(name: string): void {
    this.entries.delete(name);
  }
}
