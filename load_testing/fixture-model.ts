// A realistic redirect domain model of any size, generated deterministically from a seed, for
// load scenarios, benchmarks and tests: nested IPv4 and IPv6 subnets (more specific ones may
// belong to another region), regions with their own and shared edge groups, some inactive or
// unavailable edges, DVRs, channels with a realistic codec mix, programmes with records.
import { seededRandom } from '../actors/routing/select.js';
import type {
  DomainModel,
  Encryption,
  LinearChannel,
  Program,
  ProgramRecord,
  Protocol,
  RecordStatus,
  Region,
  Server,
  ServerGroup,
  Subnet,
  TvStream,
} from '../domain/routing/entities.js';

export interface FixtureModelOptions {
  seed?: number;
  subnets?: number;
  /** EDGE + DVR servers. */
  servers?: number;
  channels?: number;
  /** Program records (4 per programme at most). */
  records?: number;
  /** Regions; default subnets / 80. */
  regions?: number;
  /** Share of subnets that are IPv6 (default 0.1). */
  ipv6Share?: number;
}

export interface SampleRequest {
  path: string;
  /** A client address inside a random subnet. */
  ip: string;
  kind: 'live' | 'catchup' | 'vod' | 'static';
}

const CREATED = '2026-01-01T00:00:00Z';

function v4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function generateDomainModel(options: FixtureModelOptions = {}): DomainModel {
  const random = seededRandom(options.seed ?? 1);
  const int = (n: number): number => Math.floor(random() * n);
  const chance = (p: number): boolean => random() < p;
  const subnetCount = options.subnets ?? 5000;
  const serverCount = options.servers ?? 300;
  const channelCount = options.channels ?? 500;
  const recordCount = options.records ?? 20000;
  const regionCount = Math.max(1, Math.min(200, options.regions ?? Math.round(subnetCount / 80)));
  const ipv6Share = options.ipv6Share ?? 0.1;
  const stamp = { createdAt: CREATED, updatedAt: CREATED, version: 1 };

  // Servers: ~10% DVRs, the rest edges spread over one group per region plus a shared group.
  const dvrCount = Math.max(1, Math.round(serverCount * 0.1));
  const edgeCount = Math.max(1, serverCount - dvrCount);
  const servers: Server[] = [];
  const regionGroups: ServerGroup[] = [];
  for (let r = 0; r < regionCount; r++) {
    regionGroups.push({
      id: `grp-${r}`,
      name: `Region ${r} edges`,
      status: 'ACTIVE',
      serverIds: [],
      strategy: chance(0.3) ? 'consistent' : 'random',
      ...stamp,
    });
  }
  const shared: ServerGroup = { id: 'grp-shared', name: 'Shared edges', status: 'ACTIVE', serverIds: [], strategy: 'random', ...stamp };
  const dvrGroup: ServerGroup = { id: 'grp-dvr', name: 'DVR', status: 'ACTIVE', serverIds: [], strategy: 'random', ...stamp };
  for (let i = 0; i < edgeCount; i++) {
    const port = chance(0.8) ? 80 : chance(0.5) ? 443 : 8080;
    const server: Server = {
      id: `edge-${i}`,
      type: 'EDGE',
      domainName: `edge${i}.cdn.example.net`,
      ip: v4Text((10 << 24) + (1 << 16) + i),
      port,
      status: chance(0.02) ? 'INACTIVE' : 'ACTIVE',
      availability: !chance(0.03),
      weight: 1 + int(100),
      // The names do not resolve: probing them would mark every edge unavailable mid-run.
      healthcheckEnabled: false,
      healthcheckPath: '/health',
      ...stamp,
    };
    servers.push(server);
    if (i < 8) shared.serverIds.push(server.id);
    else regionGroups[i % regionCount]!.serverIds.push(server.id);
  }
  for (let i = 0; i < dvrCount; i++) {
    servers.push({
      id: `dvr-${i}`,
      type: 'DVR',
      domainName: `dvr${i}.cdn.example.net`,
      ip: v4Text((10 << 24) + (2 << 16) + i),
      port: 80,
      status: 'ACTIVE',
      availability: true,
      weight: 10,
      prefix: `dvr${i}`,
      healthcheckEnabled: false,
      ...stamp,
    });
    dvrGroup.serverIds.push(`dvr-${i}`);
  }
  const serverGroups = [...regionGroups, shared, dvrGroup];

  const regions: Region[] = [];
  for (let r = 0; r < regionCount; r++) {
    const groups = [`grp-${r}`];
    if (chance(0.3) || regionGroups[r]!.serverIds.length === 0) groups.push(shared.id);
    regions.push({ id: `reg-${r}`, name: `Region ${r}`, status: chance(0.03) ? 'INACTIVE' : 'ACTIVE', serverGroupIds: groups, ...stamp });
  }

  // Subnets: per region a /8 (IPv4) and a /40 (IPv6) as the top level, then nested blocks
  // inside random regions' tops; a nested block belongs to its parent's region 80% of the time.
  const subnets: Subnet[] = [];
  const seen = new Set<string>();
  const v4Tops: Array<{ base: number; prefix: number; region: number }> = [];
  const v6Tops: Array<{ hi: number; prefix: number; region: number }> = [];
  const add = (cidr: string, region: number): boolean => {
    if (seen.has(cidr) || subnets.length >= subnetCount) return false;
    seen.add(cidr);
    subnets.push({ id: `net-${subnets.length}`, name: `Subnet ${subnets.length} ${cidr}`, cidr, regionId: `reg-${region}`, ...stamp });
    return true;
  };
  for (let r = 0; r < regionCount && subnets.length < subnetCount; r++) {
    const base = ((11 + r) << 24) >>> 0;
    if (add(`${v4Text(base)}/8`, r)) v4Tops.push({ base, prefix: 8, region: r });
    if (ipv6Share > 0) {
      const hi = 0x20010db8; // 2001:db8::/32, documentation space
      if (add(`2001:db8:${(r << 8).toString(16)}::/40`, r)) v6Tops.push({ hi: hi, prefix: 40, region: r });
    }
  }
  const v4Prefixes = [16, 20, 22, 24, 26, 28];
  let guard = 0;
  while (subnets.length < subnetCount && guard++ < subnetCount * 20) {
    if (v6Tops.length > 0 && chance(ipv6Share)) {
      const top = v6Tops[int(v6Tops.length)]!;
      const prefix = [48, 56, 64][int(3)]!;
      const third = (top.region << 8) | int(256);
      const fourth = prefix > 48 ? int(65536) & (prefix === 56 ? 0xff00 : 0xffff) : 0;
      const region = chance(0.8) ? top.region : int(regionCount);
      add(`2001:db8:${third.toString(16)}:${fourth.toString(16)}::/${prefix}`, region);
    } else {
      const top = v4Tops[int(v4Tops.length)]!;
      const prefix = v4Prefixes[int(v4Prefixes.length)]!;
      const host = (top.base | (int(0x1000000) & ~((1 << (32 - prefix)) - 1) & 0xffffff)) >>> 0;
      const region = chance(0.8) ? top.region : int(regionCount);
      add(`${v4Text(host)}/${prefix}`, region);
    }
  }

  // Channels and their streams: HLS clear always, the rest by typical shares.
  const linearChannels: LinearChannel[] = [];
  const tvStreams: TvStream[] = [];
  const streamMix: Array<[Protocol, Encryption, number]> = [
    ['HLS', 'NONE', 1],
    ['HLS', 'CENC', 0.3],
    ['HLS', 'WIDEVINE', 0.1],
    ['MPD', 'NONE', 0.8],
    ['MPD', 'CENC', 0.5],
    ['MPD', 'WIDEVINE', 0.5],
    ['MPD', 'PLAYREADY', 0.4],
  ];
  for (let c = 0; c < channelCount; c++) {
    const dvrEnabled = chance(0.6);
    linearChannels.push({
      id: `chan-${c}`,
      name: `Channel ${c}`,
      codeName: `channel_${c}`,
      epgId: `ch_${c}`,
      dvrEnabled,
      ...(dvrEnabled ? { serverGroupId: dvrGroup.id, storageId: 1 + (c % 10) } : {}),
      ...stamp,
    });
    for (const [protocol, encryption, share] of streamMix) {
      if (!chance(share)) continue;
      tvStreams.push({
        id: `str-${c}-${protocol}-${encryption}`.toLowerCase(),
        linearChannelId: `chan-${c}`,
        streamPath: `/live/ch_${c}/${protocol.toLowerCase()}_${encryption.toLowerCase()}/index.${protocol === 'HLS' ? 'm3u8' : 'mpd'}`,
        status: chance(0.97) ? 'ACTIVE' : 'INACTIVE',
        protocol,
        encryption,
        ...stamp,
      });
    }
  }

  // Programmes on DVR-enabled channels, one hour each, with up to four records.
  const programs: Program[] = [];
  const programRecords: ProgramRecord[] = [];
  const dvrChannels = linearChannels.filter((c) => c.dvrEnabled);
  const recordMix: Array<[Protocol, Encryption]> = [
    ['HLS', 'NONE'],
    ['MPD', 'NONE'],
    ['MPD', 'CENC'],
    ['HLS', 'CENC'],
  ];
  const otherStatuses: RecordStatus[] = ['NEW', 'PLANNED', 'RUNNING', 'ERROR', 'CANCELED', 'REMOVED'];
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let p = 0; programRecords.length < recordCount && dvrChannels.length > 0; p++) {
    const channel = dvrChannels[p % dvrChannels.length]!;
    const slot = Math.floor(p / dvrChannels.length);
    const begin = start + slot * 3_600_000;
    const program: Program = {
      id: `prog-${p}`,
      linearChannelId: channel.id,
      epgId: `p_${p}`,
      name: `Programme ${p} on ${channel.name}`,
      startDatetime: new Date(begin).toISOString().replace('.000Z', 'Z'),
      endDatetime: new Date(begin + 3_600_000).toISOString().replace('.000Z', 'Z'),
      ...stamp,
    };
    programs.push(program);
    const dvr = `dvr-${p % dvrCount}`;
    for (const [protocol, encryption] of recordMix) {
      if (programRecords.length >= recordCount) break;
      programRecords.push({
        id: `rec-${p}-${protocol}-${encryption}`.toLowerCase(),
        programId: program.id,
        serverId: dvr,
        status: chance(0.9) ? 'COMPLETED' : otherStatuses[int(otherStatuses.length)]!,
        protocol,
        encryption,
        path: `${channel.epgId}/${program.epgId}/${protocol.toLowerCase()}_${encryption.toLowerCase()}`,
        ...stamp,
      });
    }
  }

  return { regions, subnets, serverGroups, servers, linearChannels, tvStreams, programs, programRecords };
}

const CODECS = ['hls', 'hls_wv', 'hls_pr', 'mpd', 'mpd_wv', 'mpd_pr'];

/** Random client requests against a generated model: live 60%, catch-up 25%, VOD 10%, static 5%. */
export function sampleRequests(model: DomainModel, count: number, seed = 2): SampleRequest[] {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const out: SampleRequest[] = [];
  for (let i = 0; i < count; i++) {
    const subnet = model.subnets[int(model.subnets.length)]!;
    const [address, bits] = subnet.cidr.split('/') as [string, string];
    let ip: string;
    if (address.includes(':')) {
      ip = address.replace(/::$/, `::${(1 + int(0xfffe)).toString(16)}`);
    } else {
      const hostBits = 32 - Number(bits);
      const base = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
      const host = hostBits >= 31 ? int(0x7fffffff) : int(2 ** hostBits);
      ip = v4Text((base + host) >>> 0);
    }
    const roll = random();
    const codec = CODECS[int(CODECS.length)]!;
    if (roll < 0.6) {
      out.push({ kind: 'live', ip, path: `/btv/live/${codec}/${model.linearChannels[int(model.linearChannels.length)]?.epgId ?? 'none'}` });
    } else if (roll < 0.85) {
      out.push({ kind: 'catchup', ip, path: `/btv/catchup/${codec}/${model.programs[int(model.programs.length)]?.epgId ?? 'none'}` });
    } else if (roll < 0.95) {
      out.push({ kind: 'vod', ip, path: `/vod/${int(1000)}/${int(1000)}/asset_${int(100000)}.mp4` });
    } else {
      out.push({ kind: 'static', ip, path: `/static/img/${int(1000)}.png` });
    }
  }
  return out;
}
