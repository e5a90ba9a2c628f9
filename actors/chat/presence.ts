// The presence of one room as seen by this node: every connection (key `<room>/<node>/<phx_ref>`)
// in the cluster presence map, and the Phoenix Presence shapes (state, diffs) built from it.
import type { PresenceDiff, PresenceEntry, PresenceMeta, PresenceState } from './types.js';

export const PRESENCE_MAP = 'chat.presence';

export function presenceKey(entry: Pick<PresenceEntry, 'room' | 'node' | 'phx_ref'>): string {
  return `${entry.room}/${entry.node}/${entry.phx_ref}`;
}

/** The room a presence key belongs to (room names never contain '/'). */
export function roomOfPresenceKey(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

function metaOf(entry: PresenceEntry): PresenceMeta {
  return { phx_ref: entry.phx_ref, online_at: entry.online_at, node: entry.node };
}

/** Groups entries by user. Built with Object.fromEntries so a user named "__proto__" stays a key. */
export function toPresenceState(entries: Iterable<PresenceEntry>): PresenceState {
  const byUser = new Map<string, PresenceMeta[]>();
  for (const entry of entries) {
    const metas = byUser.get(entry.user);
    if (metas === undefined) byUser.set(entry.user, [metaOf(entry)]);
    else metas.push(metaOf(entry));
  }
  return Object.fromEntries([...byUser].map(([user, metas]) => [user, { metas }]));
}

export function isPresenceEntry(value: unknown): value is PresenceEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['room', 'user', 'node', 'phx_ref', 'online_at'].every((field) => typeof v[field] === 'string');
}

function appendMetas(into: PresenceState, from: PresenceState): void {
  for (const [user, { metas }] of Object.entries(from)) {
    const list = (into[user] ??= { metas: [] });
    list.metas.push(...metas);
  }
}

/**
 * One diff saying what `diffs` say in turn. Clients apply a diff's joins before its leaves and
 * match metas by `phx_ref` (Phoenix Presence.syncDiff), and refs are unique per connection, so
 * a connection that joined and left within the merged diffs ends up absent, as it should.
 */
export function mergePresenceDiffs(diffs: readonly PresenceDiff[]): PresenceDiff {
  const merged: PresenceDiff = { joins: {}, leaves: {} };
  for (const diff of diffs) {
    appendMetas(merged.joins, diff.joins);
    appendMetas(merged.leaves, diff.leaves);
  }
  return merged;
}

export class PresenceView {
  private readonly entries = new Map<string, PresenceEntry>();

  constructor(private readonly room: string) {}

  get size(): number {
    return this.entries.size;
  }

  /** Replaces the content (activation snapshot); no diff, nobody is listening yet. */
  reset(entries: Iterable<[string, PresenceEntry]>): void {
    this.entries.clear();
    for (const [key, entry] of entries) if (entry.room === this.room) this.entries.set(key, entry);
  }

  /** Adds a connection; the diff to broadcast, or undefined when already known. */
  add(key: string, entry: PresenceEntry): PresenceDiff | undefined {
    if (entry.room !== this.room || this.entries.has(key)) return undefined;
    this.entries.set(key, entry);
    return { joins: toPresenceState([entry]), leaves: {} };
  }

  /** Removes a connection; the diff to broadcast, or undefined when unknown. */
  remove(key: string): PresenceDiff | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    return { joins: {}, leaves: toPresenceState([entry]) };
  }

  /** Removes every connection of a node that went down. */
  removeNode(node: string): PresenceDiff | undefined {
    const gone: PresenceEntry[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.node !== node) continue;
      this.entries.delete(key);
      gone.push(entry);
    }
    return gone.length === 0 ? undefined : { joins: {}, leaves: toPresenceState(gone) };
  }

  state(): PresenceState {
    return toPresenceState(this.entries.values());
  }
}
