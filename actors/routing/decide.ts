// The redirect decision (docs/routing.md): request → 302 Location, 404 or 400.
// Hot path: one path scan, one IP parse, a trie walk, two map lookups, one concat. Outcomes
// other than 302 are shared frozen objects, so misses allocate nothing either.
import type { IpAddress } from './ip.js';
import { resolveClientIp, type TrustedProxies } from './client-ip.js';
import { parseRequestPath, type AssetRequest, type ContentRequest, type RequestKind } from './request-path.js';
import { pickRendezvous, pickWeighted, resourceHash, type RandomSource } from './select.js';
import type { EdgeSet, EdgeTarget, RoutingView } from './view.js';

export interface ClientRequest {
  /** The raw request target: path and optional query. */
  readonly path: string;
  /** The TCP peer address (req.socket.remoteAddress). */
  readonly peerIp: string | undefined;
  /** The X-Real-IP header as Node gives it. */
  readonly realIpHeader?: string | readonly string[] | undefined;
  /** When given, anything but GET and HEAD is a 400. */
  readonly method?: string | undefined;
}

export interface DecideOptions {
  readonly trustedProxies: TrustedProxies;
  /** Uniform [0, 1); Math.random by default. */
  readonly random?: RandomSource;
}

export type Decision =
  | { readonly status: 302; readonly location: string; readonly kind: RequestKind }
  | { readonly status: 404; readonly reason: string; readonly kind: RequestKind }
  | { readonly status: 400; readonly reason: string; readonly kind?: RequestKind };

/** Bodies the client port answers with. */
export const NOT_FOUND_BODY = 'Server not found';
export const BAD_REQUEST_BODY = 'Request invalid';

export const REASONS = {
  method: 'method not allowed (GET and HEAD only)',
  noSubnet: 'no subnet contains the client IP',
  noEdge: 'no eligible edge server in the matching subnets',
  unknownChannel: 'no channel with this epgId has an active stream',
  noStream: 'no active stream for this protocol and encryption',
  unknownProgram: 'no program with this epgId has a completed record',
  noRecord: 'no completed record for this protocol and encryption',
} as const;

type MissReason = Exclude<keyof typeof REASONS, 'method'>;
const KINDS: readonly RequestKind[] = ['live', 'catchup', 'vod', 'static'];

// 404s are shared frozen objects per (kind, reason): a miss allocates nothing.
const MISSES = Object.fromEntries(
  KINDS.map((kind) => [
    kind,
    Object.fromEntries(
      (Object.keys(REASONS) as Array<keyof typeof REASONS>)
        .filter((key): key is MissReason => key !== 'method')
        .map((key) => [key, Object.freeze({ status: 404 as const, reason: REASONS[key], kind })]),
    ),
  ]),
) as Record<RequestKind, Record<MissReason, Decision>>;

const BAD_METHOD: Decision = Object.freeze({ status: 400 as const, reason: REASONS.method });
const BAD_PATH: Decision = Object.freeze({ status: 400 as const, reason: 'no request path' });

/** The first (most specific) matching subnet whose region yields edges, or null. */
export function edgeSetFor(view: RoutingView, ip: IpAddress): EdgeSet | null | undefined {
  let match = view.subnets.mostSpecific(ip);
  if (match === null) return undefined; // no subnet at all
  while (match !== null && match.value.edgeSet === null) match = match.next;
  return match === null ? null : match.value.edgeSet;
}

/** Pick one edge of the set: weighted random, or weighted rendezvous on `keyHash`. */
export function chooseEdge(set: EdgeSet, keyHash: number, random: RandomSource): EdgeTarget {
  return set.strategy === 'consistent' ? pickRendezvous(set.edges, keyHash) : pickWeighted(set.edges, set.cumulative, random);
}

/** The decision for an already parsed request and resolved client IP (shared with explain). */
export function decideParsed(view: RoutingView, request: ContentRequest | AssetRequest, ip: IpAddress, random: RandomSource): Decision {
  const kind = request.kind;
  const set = edgeSetFor(view, ip);
  if (set === undefined) return MISSES[kind].noSubnet;
  if (set === null) return MISSES[kind].noEdge;
  if (request.kind === 'live' || request.kind === 'catchup') {
    const content = request;
    const live = kind === 'live';
    const slots = (live ? view.live : view.catchup).get(content.resource);
    const target = slots === undefined ? null : slots[content.slot];
    if (!target) {
      if (live) return MISSES[kind][slots === undefined ? 'unknownChannel' : 'noStream'];
      return MISSES[kind][slots === undefined ? 'unknownProgram' : 'noRecord'];
    }
    return { status: 302, location: chooseEdge(set, target.hash, random).origin + target.path, kind };
  }
  const asset = request as AssetRequest;
  const keyHash = set.strategy === 'consistent' ? resourceHash(asset.path) : 0;
  return { status: 302, location: chooseEdge(set, keyHash, random).plainOrigin + asset.path, kind };
}

/** The whole redirect decision for one client request. Never throws on any input. */
export function decide(view: RoutingView, request: ClientRequest, options: DecideOptions): Decision {
  if (request.method !== undefined && request.method !== 'GET' && request.method !== 'HEAD') return BAD_METHOD;
  if (typeof request.path !== 'string') return BAD_PATH;
  const parsed = parseRequestPath(request.path);
  if (!parsed.ok) return parsed.kind ? { status: 400, reason: parsed.reason, kind: parsed.kind } : { status: 400, reason: parsed.reason };
  const client = resolveClientIp(request.peerIp, request.realIpHeader, options.trustedProxies);
  if (!client.ok) return { status: 400, reason: client.reason, kind: parsed.kind };
  return decideParsed(view, parsed, client.ip, options.random ?? Math.random);
}
