// The seed's k6 scenarios as request generators (pure, seeded): live, catch-up, VOD, and a
// random mix of them. Every request carries a client address from a random subnet of the
// model, sent as X-Real-IP (the node trusts it from loopback, as it would from nginx).
import type { DomainModel } from '../domain/routing/entities.js';
import type { HttpScenario } from './options.js';
import { seededRandom } from '../actors/routing/select.js';

export const CODECS = ['hls', 'hls_wv', 'hls_pr', 'mpd', 'mpd_wv', 'mpd_pr'] as const;

export type RequestKind = 'live' | 'catchup' | 'vod';

export interface LoadRequest {
  kind: RequestKind;
  path: string;
  /** Client address (X-Real-IP). */
  ip: string;
}

function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(random() * items.length)]!;
}

function expandIpv6(address: string): number[] {
  const [head, tail] = address.includes('::') ? (address.split('::') as [string, string]) : [address, undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  const groups = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) {
    throw new Error(`not an IPv6 address: ${address}`);
  }
  return groups;
}

/** A random host address inside `cidr` (IPv4 `a.b.c.d/n` or IPv6 `x::/n`). */
export function clientIpIn(cidr: string, random: () => number): string {
  const [address, bitsText] = cidr.split('/') as [string, string | undefined];
  if (bitsText === undefined || !/^\d+$/.test(bitsText)) throw new Error(`not a CIDR: ${cidr}`);
  const bits = Number(bitsText);
  if (address.includes(':')) {
    if (bits > 128) throw new Error(`not a CIDR: ${cidr}`);
    const groups = expandIpv6(address);
    // Randomise every bit below the prefix, 16 bits (one group) at a time.
    for (let g = 0; g < 8; g++) {
      const fixed = Math.min(16, Math.max(0, bits - g * 16));
      if (fixed === 16) continue;
      const keepMask = fixed === 0 ? 0 : (0xffff << (16 - fixed)) & 0xffff;
      groups[g] = (groups[g]! & keepMask) | (Math.floor(random() * 0x10000) & ~keepMask & 0xffff);
    }
    return groups.map((g) => g.toString(16)).join(':');
  }
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || bits > 32) {
    throw new Error(`not a CIDR: ${cidr}`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 32 - bits;
  const size = 2 ** hostBits;
  const network = Math.floor(base / size) * size;
  const value = network + Math.floor(random() * size);
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function clientIp(model: DomainModel, random: () => number): string {
  return clientIpIn(pick(model.subnets, random).cidr, random);
}

export function liveRequest(model: DomainModel, random: () => number): LoadRequest {
  const channel = pick(model.linearChannels, random);
  return { kind: 'live', path: `/btv/live/${pick(CODECS, random)}/${channel.epgId}`, ip: clientIp(model, random) };
}

export function catchupRequest(model: DomainModel, random: () => number): LoadRequest {
  const program = pick(model.programs, random);
  return { kind: 'catchup', path: `/btv/catchup/${pick(CODECS, random)}/${program.epgId}`, ip: clientIp(model, random) };
}

export function vodRequest(model: DomainModel, random: () => number): LoadRequest {
  const n = (max: number): number => Math.floor(random() * max);
  return { kind: 'vod', path: `/vod/${n(1000)}/${n(1000)}/asset_${n(100_000)}.mp4`, ip: clientIp(model, random) };
}

/** Shares of the `requests` mix (the seed's test_requests.js hit all three kinds). */
export const MIX: ReadonlyArray<[RequestKind, number]> = [
  ['live', 0.6],
  ['catchup', 0.25],
  ['vod', 0.15],
];

const GENERATORS: Record<RequestKind, (model: DomainModel, random: () => number) => LoadRequest> = {
  live: liveRequest,
  catchup: catchupRequest,
  vod: vodRequest,
};

function mixedKind(random: () => number): RequestKind {
  let roll = random();
  for (const [kind, share] of MIX) {
    if (roll < share) return kind;
    roll -= share;
  }
  return MIX[MIX.length - 1]![0];
}

/** `count` requests of a scenario, the same for the same model, count and seed. */
export function scenarioRequests(scenario: HttpScenario, model: DomainModel, count: number, seed = 1): LoadRequest[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`request count must be a positive integer, got ${count}`);
  if (model.subnets.length === 0) throw new Error('the model has no subnets to take client addresses from');
  const random = seededRandom(seed);
  const out: LoadRequest[] = [];
  for (let i = 0; i < count; i++) {
    const kind: RequestKind = scenario === 'requests' ? mixedKind(random) : scenario;
    out.push(GENERATORS[kind](model, random));
  }
  return out;
}
