// GET /api/v1/routing/explain: the redirect decision step by step, for operators debugging a
// complaint. Not on the hot path: clarity over speed. The final result comes from the same
// decideParsed() the client port uses, so the explanation cannot drift from the behaviour.
import type { Encryption, ProgramRecord, TvStream } from '../../domain/routing/entities.js';
import { decideParsed, type Decision, BAD_REQUEST_BODY, NOT_FOUND_BODY } from './decide.js';
import { edgeExclusion, ENCRYPTION_FALLBACK, groupExclusion, regionExclusion } from './eligibility.js';
import { formatCidr, formatIp, parseIp } from './ip.js';
import { parseRequestPath, type AssetRequest, type ParsedRequest } from './request-path.js';
import { rendezvousScore, resourceHash, type RandomSource } from './select.js';
import type { ContentTarget, EdgeSet, RoutingView } from './view.js';

export interface ExplainedServer {
  id: string;
  domainName?: string;
  type?: string;
  status?: string;
  availability?: boolean;
  weight?: number;
  eligible: boolean;
  excluded?: string;
}

export interface ExplainedGroup {
  id: string;
  name?: string;
  status?: string;
  strategy?: string;
  excluded?: string;
  servers: ExplainedServer[];
}

export interface ExplainedSubnet {
  id: string;
  name: string;
  cidr: string;
  network: string;
  prefix: number;
  regionId: string;
  region?: { id: string; name: string; status: string };
  excluded?: string;
  groups: ExplainedGroup[];
  eligibleServerIds: string[];
  chosen: boolean;
}

export interface ExplainedCandidate {
  id: string;
  domainName: string;
  port: number;
  weight: number;
  /** Chance of being picked: weight share (random) or 1/0 (consistent). */
  probability: number;
  /** Rendezvous score (consistent only): the highest wins. */
  score?: number;
  url?: string;
}

export interface ExplainedContentItem {
  id: string;
  protocol: string;
  encryption: string;
  status: string;
  path: string;
  chosen: boolean;
  excluded?: string;
}

export interface ExplainedContent {
  kind: 'live' | 'catchup';
  resource: string;
  protocol: string;
  requestedEncryption: Encryption;
  /** The channel (live) or program (catch-up) with this epgId. */
  owner?: { id: string; name: string };
  items: ExplainedContentItem[];
  chosen?: { id: string; encryption: Encryption; path: string; fallback: boolean };
}

export interface Explanation {
  input: { ip: string; path: string };
  view: { generation: number; builtAt: string };
  request: ParsedRequest;
  clientIp?: string;
  subnets: ExplainedSubnet[];
  chosenSubnetId?: string;
  selection?: { strategy: string; groupIds: string[]; key?: string; candidates: ExplainedCandidate[] };
  content?: ExplainedContent;
  result: Decision;
  /** What the client port would send as body (302s have none). */
  body?: string;
  steps: string[];
}

function explainSubnets(view: RoutingView, ip: NonNullable<ReturnType<typeof parseIp>>): ExplainedSubnet[] {
  const out: ExplainedSubnet[] = [];
  let chosenFound = false;
  for (let m = view.subnets.mostSpecific(ip); m; m = m.next) {
    const { subnet, edgeSet } = m.value;
    const region = view.regionsById.get(subnet.regionId);
    const regionWhy = regionExclusion(region);
    const groups: ExplainedGroup[] = (region?.serverGroupIds ?? []).map((groupId) => {
      const group = view.groupsById.get(groupId);
      const servers: ExplainedServer[] = (group?.serverIds ?? []).map((serverId) => {
        const server = view.serversById.get(serverId);
        const why = edgeExclusion(server);
        return {
          id: serverId,
          ...(server
            ? {
                domainName: server.domainName,
                type: server.type,
                status: server.status,
                availability: server.availability,
                weight: server.weight,
              }
            : {}),
          eligible: why === undefined && regionWhy === undefined && groupExclusion(group) === undefined,
          ...(why !== undefined ? { excluded: why } : {}),
        };
      });
      const groupWhy = groupExclusion(group);
      return {
        id: groupId,
        ...(group ? { name: group.name, status: group.status, strategy: group.strategy } : {}),
        ...(groupWhy !== undefined ? { excluded: groupWhy } : {}),
        servers,
      };
    });
    const chosen = !chosenFound && edgeSet !== null;
    if (chosen) chosenFound = true;
    let excluded: string | undefined = regionWhy;
    if (excluded === undefined && edgeSet === null) excluded = 'no eligible edge server in its region';
    if (excluded === undefined && !chosen) excluded = 'a more specific subnet was chosen';
    out.push({
      id: subnet.id,
      name: subnet.name,
      cidr: subnet.cidr,
      network: formatCidr(m.value.cidr),
      prefix: m.value.cidr.prefix,
      regionId: subnet.regionId,
      ...(region ? { region: { id: region.id, name: region.name, status: region.status } } : {}),
      ...(excluded !== undefined ? { excluded } : {}),
      groups,
      eligibleServerIds: edgeSet ? edgeSet.edges.map((e) => e.id) : [],
      chosen,
    });
  }
  return out;
}

function explainCandidates(set: EdgeSet, keyHash: number, path: string | undefined, plain: boolean): ExplainedCandidate[] {
  const total = set.cumulative[set.cumulative.length - 1] ?? 0;
  const scores = set.edges.map((e) => rendezvousScore(keyHash, e));
  const best = Math.max(...scores);
  return set.edges.map((edge, i) => ({
    id: edge.id,
    domainName: edge.domainName,
    port: edge.port,
    weight: edge.weight,
    probability: set.strategy === 'consistent' ? (scores[i] === best ? 1 : 0) : total > 0 ? edge.weight / total : 0,
    ...(set.strategy === 'consistent' ? { score: scores[i]! } : {}),
    ...(path !== undefined ? { url: (plain ? edge.plainOrigin : edge.origin) + path } : {}),
  }));
}

function itemExclusion(
  item: { id: string; protocol: string; encryption: string },
  protocol: string,
  requested: Encryption,
  chosen: ContentTarget | null,
  notServable: string | undefined,
): string | undefined {
  if (chosen && chosen.id === item.id) return undefined;
  if (notServable !== undefined) return notServable;
  if (item.protocol !== protocol) return `protocol is ${item.protocol}`;
  const fallback = ENCRYPTION_FALLBACK[requested];
  if (item.encryption !== requested && item.encryption !== fallback) {
    return `encryption ${item.encryption} does not serve ${requested}${fallback ? ` (nor is it the ${fallback} fallback)` : ''}`;
  }
  if (chosen && chosen.encryption === requested && item.encryption !== requested) return 'an exact encryption match exists';
  return 'another match has a smaller id';
}

function explainContent(view: RoutingView, request: Extract<ParsedRequest, { ok: true; kind: 'live' | 'catchup' }>): ExplainedContent {
  const live = request.kind === 'live';
  const slots = (live ? view.live : view.catchup).get(request.resource);
  const chosen = slots?.[request.slot] ?? null;
  const base: ExplainedContent = {
    kind: request.kind,
    resource: request.resource,
    protocol: request.protocol,
    requestedEncryption: request.encryption,
    items: [],
  };
  if (live) {
    const channel = view.channelsByEpgId.get(request.resource);
    if (channel) base.owner = { id: channel.id, name: channel.name };
    const streams: readonly TvStream[] = channel ? (view.streamsByChannelId.get(channel.id) ?? []) : [];
    base.items = streams.map((s) => {
      const why = itemExclusion(
        s,
        request.protocol,
        request.encryption,
        chosen,
        s.status !== 'ACTIVE' ? `status is ${s.status}` : undefined,
      );
      return {
        id: s.id,
        protocol: s.protocol,
        encryption: s.encryption,
        status: s.status,
        path: s.streamPath,
        chosen: why === undefined,
        ...(why ? { excluded: why } : {}),
      };
    });
  } else {
    const program = view.programsByEpgId.get(request.resource);
    if (program) base.owner = { id: program.id, name: program.name };
    const records: readonly ProgramRecord[] = program ? (view.recordsByProgramId.get(program.id) ?? []) : [];
    base.items = records.map((r) => {
      const dvr = view.serversById.get(r.serverId);
      const notServable =
        r.status !== 'COMPLETED' ? `status is ${r.status}` : !dvr ? `DVR server "${r.serverId}" does not exist` : undefined;
      const why = itemExclusion(r, request.protocol, request.encryption, chosen, notServable);
      return {
        id: r.id,
        protocol: r.protocol,
        encryption: r.encryption,
        status: r.status,
        path: r.path,
        chosen: why === undefined,
        ...(why ? { excluded: why } : {}),
      };
    });
  }
  if (chosen) {
    base.chosen = { id: chosen.id, encryption: chosen.encryption, path: chosen.path, fallback: chosen.encryption !== request.encryption };
  }
  return base;
}

/**
 * Explain how a request for `path` from client `ip` is routed with this view. `random` only
 * affects which of several random-strategy edges the `result` names; `selection` lists all.
 */
export function explain(view: RoutingView, ip: string, path: string, options: { random?: RandomSource } = {}): Explanation {
  const steps: string[] = [];
  const request = parseRequestPath(path);
  const base = {
    input: { ip, path },
    view: { generation: view.generation, builtAt: new Date(view.builtAt).toISOString() },
    request,
    subnets: [] as ExplainedSubnet[],
  };
  if (!request.ok) {
    steps.push(`Path "${path}" is invalid: ${request.reason}.`, `Result: 400 ${BAD_REQUEST_BODY}.`);
    return { ...base, result: { status: 400, reason: request.reason }, body: BAD_REQUEST_BODY, steps };
  }
  steps.push(
    request.kind === 'live' || request.kind === 'catchup'
      ? `Request: ${request.kind}, protocol ${request.protocol}, encryption ${request.encryption}, resource "${request.resource}".`
      : `Request: ${request.kind} asset "${request.resource}".`,
  );
  const addr = parseIp(ip.trim());
  if (!addr) {
    steps.push(`Client IP "${ip}" is not an IPv4 or IPv6 address.`, `Result: 400 ${BAD_REQUEST_BODY}.`);
    return { ...base, result: { status: 400, reason: 'malformed client IP', kind: request.kind }, body: BAD_REQUEST_BODY, steps };
  }
  const clientIp = formatIp(addr);
  steps.push(`Client IP ${clientIp} (IPv${addr.family}).`);

  const subnets = explainSubnets(view, addr);
  if (subnets.length === 0) steps.push('No subnet contains the client IP.');
  for (const s of subnets) {
    const eligible = s.eligibleServerIds.length > 0 ? `eligible edges ${s.eligibleServerIds.join(', ')}` : 'no eligible edge';
    steps.push(
      `Subnet ${s.id} "${s.name}" ${s.network}: region ${s.regionId}${s.region ? ` (${s.region.status})` : ' (missing)'}, ${eligible}` +
        (s.chosen ? ' — chosen.' : ` — skipped: ${s.excluded ?? 'not chosen'}.`),
    );
  }
  const chosenSubnet = subnets.find((s) => s.chosen);
  let set: EdgeSet | null = null;
  if (chosenSubnet) {
    for (let m = view.subnets.mostSpecific(addr); m; m = m.next) {
      if (m.value.subnet.id === chosenSubnet.id) {
        set = m.value.edgeSet;
        break;
      }
    }
  }

  let content: ExplainedContent | undefined;
  let targetPath: string | undefined;
  let keyHash = 0;
  let key: string | undefined;
  if (request.kind === 'live' || request.kind === 'catchup') {
    content = explainContent(view, request);
    const what = request.kind === 'live' ? 'Channel' : 'Program';
    if (!content.owner) steps.push(`${what} with epgId "${request.resource}" not found.`);
    if (content.chosen) {
      targetPath = content.chosen.path;
      key = targetPath;
      keyHash = resourceHash(targetPath);
      steps.push(
        `${request.kind === 'live' ? 'Stream' : 'Record'} ${content.chosen.id} → ${content.chosen.path}` +
          (content.chosen.fallback ? ` (${content.chosen.encryption} fallback for ${request.encryption}).` : '.'),
      );
    } else if (content.owner) {
      steps.push(`No ${request.kind === 'live' ? 'active stream' : 'completed record'} serves ${request.protocol}/${request.encryption}.`);
    }
  } else {
    targetPath = (request as AssetRequest).path;
    key = targetPath;
    keyHash = resourceHash(targetPath);
  }

  let selection: Explanation['selection'];
  if (set) {
    const plain = request.kind === 'vod' || request.kind === 'static';
    const candidates = explainCandidates(set, keyHash, targetPath, plain);
    selection = {
      strategy: set.strategy,
      groupIds: [...set.groupIds],
      ...(set.strategy === 'consistent' && key !== undefined ? { key } : {}),
      candidates,
    };
    const list = candidates.map((c) => `${c.id} (weight ${c.weight}, ${Math.round(c.probability * 1000) / 10}%)`).join(', ');
    steps.push(`Edge choice (${set.strategy}) among ${list}.`);
  }

  const result = decideParsed(view, request, addr, options.random ?? Math.random);
  steps.push(result.status === 302 ? `Result: 302 ${result.location}.` : `Result: ${result.status} (${result.reason}).`);
  return {
    ...base,
    clientIp,
    subnets,
    ...(chosenSubnet ? { chosenSubnetId: chosenSubnet.id } : {}),
    ...(selection ? { selection } : {}),
    ...(content ? { content } : {}),
    result,
    ...(result.status === 404 ? { body: NOT_FOUND_BODY } : {}),
    steps,
  };
}
