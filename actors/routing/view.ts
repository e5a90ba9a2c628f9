// The routing view: an immutable snapshot of everything a redirect needs, precomputed from a
// DomainModel so that a decision is a few map lookups, a trie walk and one string concat.
// Built by the routing actor on model changes and swapped atomically; readers never lock.
// It tolerates a momentarily inconsistent model (cluster events arrive in any order):
// dangling references are skipped, never thrown on.
import {
  ENCRYPTIONS,
  PROTOCOLS,
  type DomainModel,
  type Encryption,
  type LinearChannel,
  type Program,
  type ProgramRecord,
  type Region,
  type Server,
  type ServerGroup,
  type Strategy,
  type Subnet,
  type TvStream,
  type CollectionName,
} from '../../domain/routing/entities.js';
import { CidrIndex } from './cidr-index.js';
import { drain, runSliced, YIELD_EVERY_MASK } from './slices.js';
import { contentSlot, SLOT_COUNT } from './content-slot.js';
import { edgeExclusion, ENCRYPTION_FALLBACK, groupExclusion, regionExclusion } from './eligibility.js';
import { parseCidr, type Cidr } from './ip.js';
import { cumulativeWeights, resourceHash, serverHash, type WeightedCandidate } from './select.js';
import { catchupPath, normalizePath, origin } from './url.js';

export interface EdgeTarget extends WeightedCandidate {
  readonly id: string;
  readonly domainName: string;
  readonly port: number;
  /** url() origin: https for 443, port omitted for 80/443. */
  readonly origin: string;
  /** http://{domainName}: VOD and static never carry a port. */
  readonly plainOrigin: string;
}

/** The eligible edges of one region, ready for selection. */
export interface EdgeSet {
  readonly edges: readonly EdgeTarget[];
  readonly cumulative: Float64Array;
  /** consistent when any contributing group asks for it (an explicit operator choice). */
  readonly strategy: Strategy;
  /** ACTIVE groups that contributed at least one edge. */
  readonly groupIds: readonly string[];
}

export interface SubnetRoute {
  readonly subnet: Subnet;
  readonly cidr: Cidr;
  /** null when the subnet's region yields no eligible edge. */
  readonly edgeSet: EdgeSet | null;
}

/** A stream or record chosen for one (protocol, requested encryption) slot. */
export interface ContentTarget {
  readonly id: string;
  readonly encryption: Encryption;
  /** Normalized path on the edge (streamPath, or /dvr/{prefix}/{path}). */
  readonly path: string;
  /** resourceHash(path), the key of consistent selection. */
  readonly hash: number;
}

/** Indexed by contentSlot(protocol, requested encryption); the fallback rule is already applied. */
export type ContentSlots = ReadonlyArray<ContentTarget | null>;

export interface RoutingViewStats {
  readonly generation: number;
  readonly builtAt: number;
  readonly buildMs: number;
  readonly regions: number;
  readonly subnets: number;
  readonly subnetsV4: number;
  readonly subnetsV6: number;
  readonly serverGroups: number;
  readonly servers: number;
  readonly eligibleEdges: number;
  readonly linearChannels: number;
  readonly tvStreams: number;
  readonly programs: number;
  readonly programRecords: number;
  readonly liveChannels: number;
  readonly catchupPrograms: number;
  readonly trieNodesV6: number;
}

export interface RoutingView {
  readonly generation: number;
  readonly builtAt: number;
  readonly subnets: CidrIndex<SubnetRoute>;
  /** LinearChannel.epgId → targets per slot. */
  readonly live: ReadonlyMap<string, ContentSlots>;
  /** Program.epgId → targets per slot (COMPLETED records only), resolved on first look-up. */
  readonly catchup: ReadonlyMap<string, ContentSlots>;
  /** The model the view was built from (for explain; never mutated). */
  readonly model: DomainModel;
  readonly regionsById: ReadonlyMap<string, Region>;
  readonly groupsById: ReadonlyMap<string, ServerGroup>;
  readonly serversById: ReadonlyMap<string, Server>;
  readonly channelsByEpgId: ReadonlyMap<string, LinearChannel>;
  readonly programsByEpgId: ReadonlyMap<string, Program>;
  readonly streamsByChannelId: ReadonlyMap<string, readonly TvStream[]>;
  readonly recordsByProgramId: ReadonlyMap<string, readonly ProgramRecord[]>;
  readonly stats: RoutingViewStats;
}

/** A counter that tells the step loops when to yield (every YIELD_EVERY_MASK + 1 items). */
class Ticks {
  private n = 0;
  due(): boolean {
    return (++this.n & YIELD_EVERY_MASK) === 0;
  }
}

function* byId<T extends { id: string }>(items: readonly T[], ticks: Ticks): Generator<void, Map<string, T>> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (!map.has(item.id)) map.set(item.id, item);
    if (ticks.due()) yield;
  }
  return map;
}

const compareIds = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Key → the item with the smallest id (a consistent model has one per key anyway). */
function* byKeySmallestId<T extends { id: string }>(
  items: readonly T[],
  key: (item: T) => string,
  ticks: Ticks,
): Generator<void, Map<string, T>> {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const current = map.get(k);
    if (!current || item.id < current.id) map.set(k, item);
    if (ticks.due()) yield;
  }
  return map;
}

function* groupBy<T>(items: readonly T[], key: (item: T) => string, ticks: Ticks): Generator<void, Map<string, T[]>> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
    if (ticks.due()) yield;
  }
  return map;
}

function edgeTarget(server: Server): EdgeTarget {
  return {
    id: server.id,
    domainName: server.domainName,
    port: server.port,
    weight: server.weight,
    hash: serverHash(server.id),
    origin: origin(server.domainName, server.port),
    plainOrigin: `http://${server.domainName}`,
  };
}

function buildEdgeSets(
  regions: readonly Region[],
  groups: ReadonlyMap<string, ServerGroup>,
  servers: ReadonlyMap<string, Server>,
): Map<string, EdgeSet> {
  const targets = new Map<string, EdgeTarget>();
  const sets = new Map<string, EdgeSet>();
  for (const region of regions) {
    if (regionExclusion(region) !== undefined) continue;
    const edges: EdgeTarget[] = [];
    const seen = new Set<string>();
    const groupIds: string[] = [];
    let strategy: Strategy = 'random';
    for (const groupId of region.serverGroupIds) {
      const group = groups.get(groupId);
      if (groupExclusion(group) !== undefined) continue;
      let contributed = false;
      for (const serverId of group!.serverIds) {
        const server = servers.get(serverId);
        if (edgeExclusion(server) !== undefined) continue;
        contributed = true;
        if (seen.has(serverId)) continue;
        seen.add(serverId);
        let target = targets.get(serverId);
        if (!target) {
          target = edgeTarget(server!);
          targets.set(serverId, target);
        }
        edges.push(target);
      }
      if (contributed && !groupIds.includes(groupId)) {
        groupIds.push(groupId);
        if (group!.strategy === 'consistent') strategy = 'consistent';
      }
    }
    if (edges.length === 0) continue;
    edges.sort(compareIds);
    sets.set(region.id, { edges, cumulative: cumulativeWeights(edges), strategy, groupIds });
  }
  return sets;
}

/** Apply the encryption rule per protocol: exact match, else the fallback (CENC) for WV/PR. */
function resolveSlots<T extends { id: string; protocol: string; encryption: Encryption }>(
  candidates: readonly T[],
  toTarget: (item: T) => ContentTarget | null,
): ContentSlots | null {
  const exact: Array<ContentTarget | null> = new Array<ContentTarget | null>(SLOT_COUNT).fill(null);
  let any = false;
  for (const item of [...candidates].sort(compareIds)) {
    const protocol = item.protocol as (typeof PROTOCOLS)[number];
    if (!PROTOCOLS.includes(protocol) || !ENCRYPTIONS.includes(item.encryption)) continue;
    const slot = contentSlot(protocol, item.encryption);
    if (exact[slot]) continue; // sorted by id: the first is the smallest
    const target = toTarget(item);
    if (!target) continue;
    exact[slot] = target;
    any = true;
  }
  if (!any) return null;
  const slots: Array<ContentTarget | null> = new Array<ContentTarget | null>(SLOT_COUNT).fill(null);
  for (const protocol of PROTOCOLS) {
    for (const requested of ENCRYPTIONS) {
      const fallback = ENCRYPTION_FALLBACK[requested];
      slots[contentSlot(protocol, requested)] =
        exact[contentSlot(protocol, requested)] ?? (fallback ? exact[contentSlot(protocol, fallback)] : null) ?? null;
    }
  }
  return Object.freeze(slots);
}

function contentTarget(id: string, encryption: Encryption, rawPath: string): ContentTarget {
  const path = normalizePath(rawPath);
  return { id, encryption, path, hash: resourceHash(path) };
}

/** Build an immutable routing view from a (validated) model. */
export function buildRoutingView(model: DomainModel, generation = 0, now: number = Date.now()): RoutingView {
  return drain(buildSteps(model, generation, now));
}

/**
 * The same view, built in slices of about `sliceMs` with the event loop given back in between:
 * a 100 000-record model takes seconds to build on a loaded machine, and redirects must not wait.
 */
export function buildRoutingViewSliced(model: DomainModel, generation: number, sliceMs?: number, restMs?: number): Promise<RoutingView> {
  return runSliced(buildSteps(model, generation, Date.now()), sliceMs, restMs);
}

/**
 * The parts of a view, each built from a few collections only. A change of one record rebuilds
 * just the parts that read its collection (docs/routing.md, "Single-record changes").
 */
interface EdgesPart {
  regionsById: Map<string, Region>;
  groupsById: Map<string, ServerGroup>;
  serversById: Map<string, Server>;
  edgeSets: Map<string, EdgeSet>;
}
interface SubnetsPart {
  subnets: CidrIndex<SubnetRoute>;
  subnetsV4: number;
}
interface LivePart {
  channelsByEpgId: Map<string, LinearChannel>;
  streamsByChannelId: Map<string, TvStream[]>;
  live: Map<string, ContentSlots>;
}
interface CatchupPart {
  programsByEpgId: Map<string, Program>;
  recordsByProgramId: Map<string, ProgramRecord[]>;
  catchup: ReadonlyMap<string, ContentSlots>;
}

/** Which collections each part reads: a change in one of them rebuilds the part. */
const PART_INPUTS = {
  edges: ['regions', 'server-groups', 'servers'],
  subnets: ['regions', 'server-groups', 'servers', 'subnets'],
  live: ['linear-channels', 'tv-streams'],
  catchup: ['servers', 'programs', 'program-records'],
} as const satisfies Record<string, readonly CollectionName[]>;

function* edgesPart(model: DomainModel, ticks: Ticks): Generator<void, EdgesPart> {
  const regionsById = yield* byId(model.regions, ticks);
  const groupsById = yield* byId(model.serverGroups, ticks);
  const serversById = yield* byId(model.servers, ticks);
  return { regionsById, groupsById, serversById, edgeSets: buildEdgeSets([...regionsById.values()], groupsById, serversById) };
}

function* subnetsPart(model: DomainModel, edgeSets: ReadonlyMap<string, EdgeSet>, ticks: Ticks): Generator<void, SubnetsPart> {
  const routes: Array<{ cidr: Cidr; value: SubnetRoute }> = [];
  let subnetsV4 = 0;
  const sortedSubnets = [...model.subnets].sort(compareIds);
  yield;
  for (const subnet of sortedSubnets) {
    const cidr = parseCidr(subnet.cidr);
    if (ticks.due()) yield;
    if (!cidr) continue;
    if (cidr.family === 4) subnetsV4++;
    routes.push({ cidr, value: { subnet, cidr, edgeSet: edgeSets.get(subnet.regionId) ?? null } });
  }
  return { subnets: yield* CidrIndex.buildSteps(routes), subnetsV4 };
}

function* livePart(model: DomainModel, ticks: Ticks): Generator<void, LivePart> {
  const channelsByEpgId = yield* byKeySmallestId(model.linearChannels, (c) => c.epgId, ticks);
  const streamsByChannelId = yield* groupBy(model.tvStreams, (s) => s.linearChannelId, ticks);
  const live = new Map<string, ContentSlots>();
  for (const [epgId, channel] of channelsByEpgId) {
    const active = (streamsByChannelId.get(channel.id) ?? []).filter((s) => s.status === 'ACTIVE');
    const slots = resolveSlots(active, (s) => contentTarget(s.id, s.encryption, s.streamPath));
    if (slots) live.set(epgId, slots);
    if (ticks.due()) yield;
  }
  return { channelsByEpgId, streamsByChannelId, live };
}

/** The catch-up slots of one programme: its COMPLETED records on a known DVR. */
function catchupSlots(
  program: Program,
  recordsByProgramId: ReadonlyMap<string, readonly ProgramRecord[]>,
  serversById: ReadonlyMap<string, Server>,
): ContentSlots | null {
  const completed = (recordsByProgramId.get(program.id) ?? []).filter((r) => r.status === 'COMPLETED');
  return resolveSlots(completed, (r) => {
    const dvr = serversById.get(r.serverId);
    return dvr ? contentTarget(r.id, r.encryption, catchupPath(dvr.prefix, r.path)) : null;
  });
}

/**
 * Catch-up targets per Program.epgId, each programme resolved on its first look-up and kept.
 * A large model has tens of thousands of programmes: resolving all of them at every view build
 * was most of the build's work and garbage on the serving thread, for programmes few requests
 * ever name (docs/routing.md, "Catch-up targets on first use"). Iterating or counting resolves
 * every programme (explain, tests).
 */
class CatchupIndex implements ReadonlyMap<string, ContentSlots> {
  /** epgId → slots, null for a known programme with nothing to serve. Unknown ids are not kept. */
  private readonly resolved = new Map<string, ContentSlots | null>();
  private everything: Map<string, ContentSlots> | undefined;

  constructor(
    private readonly programsByEpgId: ReadonlyMap<string, Program>,
    private readonly recordsByProgramId: ReadonlyMap<string, readonly ProgramRecord[]>,
    private readonly serversById: ReadonlyMap<string, Server>,
  ) {}

  get(epgId: string): ContentSlots | undefined {
    let slots = this.resolved.get(epgId);
    if (slots === undefined) {
      const program = this.programsByEpgId.get(epgId);
      if (program === undefined) return undefined;
      slots = catchupSlots(program, this.recordsByProgramId, this.serversById);
      this.resolved.set(epgId, slots);
    }
    return slots ?? undefined;
  }

  has(epgId: string): boolean {
    return this.get(epgId) !== undefined;
  }

  get size(): number {
    return this.all().size;
  }

  entries(): MapIterator<[string, ContentSlots]> {
    return this.all().entries();
  }

  keys(): MapIterator<string> {
    return this.all().keys();
  }

  values(): MapIterator<ContentSlots> {
    return this.all().values();
  }

  forEach(callback: (value: ContentSlots, key: string, map: ReadonlyMap<string, ContentSlots>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.all()) callback.call(thisArg, value, key, this);
  }

  [Symbol.iterator](): MapIterator<[string, ContentSlots]> {
    return this.entries();
  }

  private all(): Map<string, ContentSlots> {
    if (this.everything === undefined) {
      const everything = new Map<string, ContentSlots>();
      for (const epgId of this.programsByEpgId.keys()) {
        const slots = this.get(epgId);
        if (slots !== undefined) everything.set(epgId, slots);
      }
      this.everything = everything;
    }
    return this.everything;
  }
}

function* catchupPart(model: DomainModel, serversById: ReadonlyMap<string, Server>, ticks: Ticks): Generator<void, CatchupPart> {
  const programsByEpgId = yield* byKeySmallestId(model.programs, (p) => p.epgId, ticks);
  const recordsByProgramId = yield* groupBy(model.programRecords, (r) => r.programId, ticks);
  return { programsByEpgId, recordsByProgramId, catchup: new CatchupIndex(programsByEpgId, recordsByProgramId, serversById) };
}

const reads = (part: keyof typeof PART_INPUTS, changed: ReadonlySet<CollectionName>): boolean =>
  PART_INPUTS[part].some((collection) => changed.has(collection));

/**
 * The view of `model`, reusing the parts of `previous` that read none of the `changed`
 * collections (`previous` must have been built from the same model but for those).
 */
function* buildSteps(
  model: DomainModel,
  generation: number,
  now: number,
  reuse?: { previous: RoutingView; changed: ReadonlySet<CollectionName> },
): Generator<void, RoutingView> {
  const started = performance.now();
  const ticks = new Ticks();
  const prev = reuse?.previous;
  const fresh = (part: keyof typeof PART_INPUTS): boolean => reuse === undefined || reads(part, reuse.changed);
  const edges: EdgesPart = fresh('edges') || prev === undefined ? yield* edgesPart(model, ticks) : edgeParts.get(prev)!;
  const subnetPart: SubnetsPart =
    fresh('subnets') || prev === undefined
      ? yield* subnetsPart(model, edges.edgeSets, ticks)
      : { subnets: prev.subnets, subnetsV4: prev.stats.subnetsV4 };
  const livePartOf: LivePart =
    fresh('live') || prev === undefined
      ? yield* livePart(model, ticks)
      : ({ channelsByEpgId: prev.channelsByEpgId, streamsByChannelId: prev.streamsByChannelId, live: prev.live } as LivePart);
  const catchupPartOf: CatchupPart =
    fresh('catchup') || prev === undefined
      ? yield* catchupPart(model, edges.serversById, ticks)
      : ({ programsByEpgId: prev.programsByEpgId, recordsByProgramId: prev.recordsByProgramId, catchup: prev.catchup } as CatchupPart);
  const { regionsById, groupsById, serversById, edgeSets } = edges;
  const { subnets, subnetsV4 } = subnetPart;
  const { channelsByEpgId, streamsByChannelId, live } = livePartOf;
  const { programsByEpgId, recordsByProgramId, catchup } = catchupPartOf;

  const eligible = new Set<string>();
  for (const set of edgeSets.values()) for (const e of set.edges) eligible.add(e.id);
  const trie = subnets.stats;
  const stats: RoutingViewStats = {
    generation,
    builtAt: now,
    buildMs: Math.round((performance.now() - started) * 100) / 100,
    regions: model.regions.length,
    subnets: subnets.size,
    subnetsV4,
    subnetsV6: subnets.size - subnetsV4,
    serverGroups: model.serverGroups.length,
    servers: model.servers.length,
    eligibleEdges: eligible.size,
    linearChannels: model.linearChannels.length,
    tvStreams: model.tvStreams.length,
    programs: model.programs.length,
    programRecords: model.programRecords.length,
    liveChannels: live.size,
    // Counting resolves every programme: only when asked, never during a build.
    get catchupPrograms() {
      return catchup.size;
    },
    trieNodesV6: trie.v6Nodes,
  };

  const view: RoutingView = {
    generation,
    builtAt: now,
    subnets,
    live,
    catchup,
    model,
    regionsById,
    groupsById,
    serversById,
    channelsByEpgId,
    programsByEpgId,
    streamsByChannelId,
    recordsByProgramId,
    stats,
  };
  edgeParts.set(view, edges);
  return view;
}

/** The edge sets a view was built with (not part of the view's interface; reused by the next build). */
const edgeParts = new WeakMap<RoutingView, EdgesPart>();

/**
 * The view of `model` built in slices from `previous`: only the parts that read a collection in
 * `changed` are rebuilt, the others are shared with `previous` (both are immutable).
 */
export function updateRoutingViewSliced(
  previous: RoutingView,
  model: DomainModel,
  generation: number,
  changed: ReadonlySet<CollectionName>,
  sliceMs?: number,
  restMs?: number,
): Promise<RoutingView> {
  const reuse = edgeParts.has(previous) && previous.generation === generation ? { previous, changed } : undefined;
  return runSliced(buildSteps(model, generation, Date.now(), reuse), sliceMs, restMs);
}

/** How old the view is (for the routing-view age metric). */
export function viewAgeMs(view: RoutingView, now: number = Date.now()): number {
  return Math.max(0, now - view.builtAt);
}
