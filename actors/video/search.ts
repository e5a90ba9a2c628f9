// The search actor: queries the index, signs playback links and writes the audit entry of
// every search. Each search continues beside the mailbox (it is I/O), so searches overlap.
import type { AuditEntry, RecordingFilter, SearchPage, SearchQuery, VideoRecording } from '../../domain/video/index.js';
import { playbackQuery } from '../../domain/video/index.js';
import type { ActorSpec, ReplyTo } from '../kernel/index.js';
import type { VideoStore } from './ports.js';
import type { ZoneCache } from './zone-cache.js';

export interface Requester {
  /** User id. */
  actor: string;
  /** Client address by the trusted-proxy rule. */
  ip: string;
}

export type SearchMessage = { kind: 'search'; query: SearchQuery; requester: Requester; replyTo: ReplyTo<SearchPage> };

export interface SearchOptions {
  store: VideoStore;
  zones: ZoneCache;
  secretKeyBase: string;
  linkTtlS: number;
}

export const SEARCH_ACTOR = 'search';

function auditDetails(query: SearchQuery, total: number): AuditEntry['details'] {
  const details: AuditEntry['details'] = { total };
  for (const key of ['sessionId', 'projectId', 'zone', 'from', 'to'] as const) {
    const value = query[key];
    if (value !== undefined) details[key] = value;
  }
  return details;
}

export async function searchRecordings(opts: SearchOptions, query: SearchQuery, requester: Requester): Promise<SearchPage> {
  const filter: RecordingFilter = {};
  for (const key of ['sessionId', 'projectId', 'zone', 'from', 'to'] as const) {
    const value = query[key];
    if (value !== undefined) filter[key] = value;
  }
  const page = await opts.store.search(filter, query.limit ?? 100, query.offset ?? 0);
  const items = await Promise.all(page.items.map((recording) => withLink(opts, recording, requester.actor)));
  await opts.store.appendAudit({
    at: new Date().toISOString(),
    action: 'video.search',
    actor: requester.actor,
    ip: requester.ip,
    details: auditDetails(query, page.total),
  });
  return { items, total: page.total };
}

async function withLink(opts: SearchOptions, recording: VideoRecording, user: string): Promise<SearchPage['items'][number]> {
  const { deleting: _deleting, ...shown } = recording;
  if (recording.deletedAt !== undefined || recording.missing === true) return { ...shown, playbackUrl: null };
  const zone = await opts.zones.get(recording.zone);
  if (zone === undefined) return { ...shown, playbackUrl: null };
  const query = playbackQuery(opts.secretKeyBase, zone.name, recording.fileName, user, opts.linkTtlS);
  const host = zone.publicAddress.includes(':') && !zone.publicAddress.startsWith('[') ? `[${zone.publicAddress}]` : zone.publicAddress;
  const url = `http://${host}:${zone.publicPort}/video/files/${encodeURIComponent(zone.name)}/${encodeURIComponent(recording.fileName)}?${query}`;
  return { ...shown, playbackUrl: url };
}

export function searchSpec(opts: SearchOptions): ActorSpec<null, SearchMessage> {
  return {
    name: SEARCH_ACTOR,
    restart: { maxRestarts: 10, withinMs: 60_000 },
    init: () => null,
    handle(state, message) {
      searchRecordings(opts, message.query, message.requester).then(
        (page) => message.replyTo.reply(page),
        (error: unknown) => message.replyTo.fail(error as Error),
      );
      return state;
    },
  };
}
