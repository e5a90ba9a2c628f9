// The domain-model actor's messages and the shapes of their answers.
import type { AnyEntity, CollectionName, DomainModel, ModelKey } from '../../../domain/routing/entities.js';
import type { ReplyTo } from '../../kernel/index.js';
import type { EntityPage, EqualityValue, ListPage } from '../ports.js';
import type { EnsureMapsOutcome, EnsureMapsRequest } from '../routing-view.js';

export type EntityBody = Record<string, unknown>;
export type ModelCounts = Record<ModelKey, number>;

export interface ListQuery {
  /** Equality on known fields (the gateway checks the names); an id-list field matches when it contains the value. */
  filter: Record<string, EqualityValue>;
  limit: number;
  offset: number;
  sort?: ListPage['sort'];
  search?: ListPage['search'];
}

export interface ReplaceModelResult {
  counts: ModelCounts;
  storageGeneration: number;
  /** The cluster map generation now served (undefined when the maps could not be written yet). */
  generation?: number;
}

export interface RebuildReport {
  generation: number;
  storageGeneration: number;
  counts: ModelCounts;
  /** Nodes whose routing view loaded the new generation before the report was made. */
  acknowledgedBy: string[];
  timings: { loadMs: number; writeMs: number; switchMs: number; reconcileMs: number; totalMs: number };
  /** Where the records came from: MongoDB's stored snapshot plus the logged records, or a scan of every record. */
  source: 'stored snapshot' | 'full scan' | 'bulk replace';
  /** Records the change log named since the stored snapshot (read afresh), with `source` 'stored snapshot'. */
  logged?: number;
}

/** One programme of an XMLTV document, already parsed (times in ISO-8601 UTC). */
export interface ProgramDraft {
  epgId: string;
  /** The XMLTV channel id: a LinearChannel.epgId. */
  channel: string;
  name: string;
  startDatetime: string;
  endDatetime: string;
}

export interface EpgSkip {
  channel?: string;
  epgId?: string;
  start?: string;
  reason: string;
}

export interface EpgReport {
  created: number;
  updated: number;
  unchanged: number;
  skippedCount: number;
  /** The first MAX_REPORTED_SKIPS skips with their reasons. */
  skipped: EpgSkip[];
}

export const MAX_REPORTED_SKIPS = 1000;

export type DomainMsg =
  | { type: 'list'; collection: CollectionName; query: ListQuery; replyTo: ReplyTo<EntityPage<AnyEntity>> }
  | { type: 'get'; collection: CollectionName; id: string; replyTo: ReplyTo<AnyEntity> }
  | { type: 'create'; collection: CollectionName; body: EntityBody; replyTo: ReplyTo<AnyEntity> }
  | { type: 'replace'; collection: CollectionName; id: string; body: EntityBody; replyTo: ReplyTo<AnyEntity> }
  | { type: 'patch'; collection: CollectionName; id: string; body: EntityBody; replyTo: ReplyTo<AnyEntity> }
  | { type: 'delete'; collection: CollectionName; id: string; replyTo: ReplyTo<void> }
  | { type: 'set-availability'; serverId: string; available: boolean; reason: string; replyTo: ReplyTo<void> }
  | { type: 'get-model'; replyTo: ReplyTo<DomainModel> }
  | { type: 'replace-model'; doc: unknown; replyTo: ReplyTo<ReplaceModelResult> }
  | { type: 'import-programs'; drafts: ProgramDraft[]; skipped: EpgSkip[]; replyTo: ReplyTo<EpgReport> }
  | { type: 'ensure-maps'; request: EnsureMapsRequest; replyTo: ReplyTo<EnsureMapsOutcome> }
  | { type: 'rebuild-maps'; reason: string; replyTo: ReplyTo<RebuildReport> };
