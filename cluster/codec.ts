// Shared by both ClusterStore implementations: validation of what callers pass in, and the
// text forms in which versioned values, live nodes and leases are stored.
import type { CounterState, LiveNode, NodeInfo, VersionedValue } from '../domain/ports/cluster-store.js';

export function validateVersion(version: number): void {
  if (typeof version !== 'number' || !Number.isFinite(version)) {
    throw new TypeError(`cluster map: version must be a finite number, got ${String(version)}`);
  }
}

const RAW_STRING_MARK = 's';

/**
 * The stored text of a versioned value (docs/cluster.md, "How map values are stored"). A string
 * value is stored as `s<version>:<the string as it is>`: a snapshot chunk is a ~1 MB string, and
 * as JSON it would be escaped by the writer and unescaped by every node that reads it. Any other
 * value is the JSON of `{version, value}`, which always starts with `{`. Rejects values JSON
 * cannot carry.
 */
export function encodeVersioned<V>(entry: VersionedValue<V>): string {
  if (entry.value === undefined) throw new TypeError('cluster map: value must not be undefined');
  if (typeof entry.value === 'string') return `${RAW_STRING_MARK}${String(entry.version)}:${entry.value}`;
  const value: string | undefined = JSON.stringify(entry.value);
  if (value === undefined) throw new TypeError('cluster map: value is not JSON-serializable');
  return `{"version":${JSON.stringify(entry.version)},"value":${value}}`;
}

/** A stored raw string value (`s<version>:<text>`); undefined when the header is malformed. */
function decodeRawString<V>(raw: string): VersionedValue<V> | undefined {
  const colon = raw.indexOf(':');
  if (colon < 2) return undefined;
  const header = raw.slice(1, colon);
  const version = Number(header);
  if (!Number.isFinite(version) || header.trim() !== header) return undefined;
  return { version, value: raw.slice(colon + 1) as V };
}

/** Parses a stored value; undefined when it is neither form encodeVersioned writes. */
export function decodeVersioned<V>(raw: unknown): VersionedValue<V> | undefined {
  if (typeof raw !== 'string') return undefined;
  if (raw.startsWith(RAW_STRING_MARK)) return decodeRawString<V>(raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { version, value } = parsed as { version?: unknown; value?: unknown };
  if (typeof version !== 'number' || !Number.isFinite(version) || !('value' in parsed)) return undefined;
  return { version, value: value as V };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(raw: unknown): Record<string, unknown> | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function validateName(kind: string, name: string): void {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`${kind} must be a non-empty string`);
}

export function validateNodeInfo(node: NodeInfo): void {
  if (!isObject(node)) throw new TypeError('membership: node info must be an object');
  validateName('membership: node name', node.name);
  if (typeof node.host !== 'string') throw new TypeError('membership: node host must be a string');
  for (const field of ['port', 'apiPort'] as const) {
    if (!Number.isInteger(node[field]) || node[field] < 0 || node[field] > 65535) {
      throw new TypeError(`membership: node ${field} must be a port number`);
    }
  }
  if (typeof node.startedAt !== 'string') throw new TypeError('membership: node startedAt must be an ISO date string');
}

/** Parses a stored live node; undefined when malformed. */
export function decodeLiveNode(raw: unknown): LiveNode | undefined {
  const node = parseObject(raw);
  if (!node) return undefined;
  const { name, host, port, apiPort, startedAt, lastHeartbeatAt, meta } = node;
  if (typeof name !== 'string' || typeof host !== 'string' || typeof port !== 'number') return undefined;
  if (typeof apiPort !== 'number' || typeof startedAt !== 'string' || typeof lastHeartbeatAt !== 'string') return undefined;
  const live: LiveNode = { name, host, port, apiPort, startedAt, lastHeartbeatAt };
  if (isObject(meta)) live.meta = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)]));
  return live;
}

export function validateLease(name: string, holder: string, ttlMs?: number): void {
  validateName('lease name', name);
  validateName('lease holder', holder);
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs <= 0)) {
    throw new TypeError(`lease ttlMs must be a positive whole number of milliseconds, got ${String(ttlMs)}`);
  }
}

/** The stored form of a lease: `{holder, acquiredAt}` (epoch ms); expiry is the entry's TTL. */
export function encodeLease(holder: string, acquiredAtMs: number): string {
  return JSON.stringify({ holder, acquiredAt: acquiredAtMs });
}

/** The holder of a stored lease; undefined when malformed. */
export function decodeLeaseHolder(raw: unknown): string | undefined {
  const lease = parseObject(raw);
  return lease && typeof lease.holder === 'string' ? lease.holder : undefined;
}

export function validateCounter(key: string, ttlMs?: number): void {
  validateName('counter key', key);
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs <= 0)) {
    throw new TypeError(`counter ttlMs must be a positive whole number of milliseconds, got ${String(ttlMs)}`);
  }
}

/** JSON text of a counter's state. */
export function encodeCounter(state: CounterState): string {
  return JSON.stringify({ count: state.count, lastAt: state.lastAt });
}

/** Parses a stored counter; undefined when malformed. */
export function decodeCounter(raw: unknown): CounterState | undefined {
  const parsed = parseObject(raw);
  if (!parsed) return undefined;
  const { count, lastAt } = parsed;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || typeof lastAt !== 'number') return undefined;
  return { count, lastAt };
}
