// The video index in MongoDB (and FerretDB v1): zones, recordings, agent tokens, audit log.
//
// Hot paths (docs/video.md, "Storage"):
//  - a recording's `_id` is `<zone>~<fileName>` (`~` is in neither; the id is URL-safe):
//    registering twice is a duplicate `_id`, and "is this file indexed?" is one look-up;
//  - search by session id reads its session's slots, by `_id`, in one small bucket collection
//    of the session index (video-sessions.ts), never the recordings collection. Every write
//    that changes what a search shows writes the recording first, marked
//    `sessionIndexPending`, then writes its slot, then clears the mark; a crash in between
//    leaves the mark, and the zone's next scan (repairSessionIndex) copies the recording again.
// On MongoDB the secondary indexes (projectId, zone + recordedAt, …) serve searches without a
// session id. FerretDB v1.24.2 (SQLite) scans the collection for every filter, `_id` included
// (measured in docs/performance.md, B7), so on FerretDB those searches scan.
//
import { v7 as uuidv7 } from 'uuid';
import type { Collection, Db, Filter } from 'mongodb';
import type { AuditEntry, AuditQuery, NewRecording, RecordingFilter, VideoRecording, VideoZone } from '../domain/video/index.js';
import { expiresAt } from '../domain/video/index.js';
import { DuplicateKeyError, StoreUnavailableError, isDuplicateKeyError, isUnavailableError } from './errors.js';
import { ensureIndexes, type IndexSpec } from './indexes.js';
import { SessionIndex, type SessionEntryDoc } from './video-sessions.js';

export const VIDEO_ZONES_COLLECTION = 'video_zones';
export const VIDEO_RECORDINGS_COLLECTION = 'video_recordings';
export const VIDEO_AGENT_TOKENS_COLLECTION = 'video_agent_tokens';
export const AUDIT_LOG_COLLECTION = 'audit_log';
/** The session-key collection of the first design; dropped by migration 004. */
export const VIDEO_SESSION_KEYS_COLLECTION = 'video_session_keys';

export function recordingIdOf(zone: string, fileName: string): string {
  return `${zone}~${fileName}`;
}

interface ZoneDoc extends Omit<VideoZone, 'name'> {
  _id: string;
}

/** The fields search shows (SessionEntryDoc) plus what only the recordings collection keeps. */
interface RecordingDoc extends SessionEntryDoc {
  /** recordedAt + storageDays: retention's look-up key. */
  expiresAt: Date;
  deleting?: boolean;
  /** Set with every change search shows, cleared once the session index has the change. */
  sessionIndexPending?: boolean;
  /** The recording's slot in the session index, once it has one (video-sessions.ts). */
  sessionSlot?: number;
}

export interface AgentTokenRecord {
  id: string;
  zone: string;
  createdAt: string;
  revokedAt?: string;
}

interface AgentTokenDoc {
  _id: string;
  zone: string;
  /** sha256 of the token, hex: the token itself is never stored. */
  hash: string;
  createdAt: Date;
  revokedAt?: Date;
}

interface AuditDoc extends Omit<AuditEntry, 'id' | 'at'> {
  _id: string;
  at: Date;
}

export const VIDEO_RECORDING_INDEXES: readonly IndexSpec<RecordingDoc>[] = [
  { name: 'video_recordings_zone_file_unique', fields: ['zone', 'fileName'], unique: true },
  { name: 'video_recordings_session', fields: ['sessionId'] },
  { name: 'video_recordings_project', fields: ['projectId'] },
  { name: 'video_recordings_zone_recorded', fields: ['zone', 'recordedAt'] },
  { name: 'video_recordings_zone_expires', fields: ['zone', 'expiresAt'] },
  { name: 'video_recordings_zone_deleting', fields: ['zone', 'deleting'] },
  { name: 'video_recordings_zone_session_pending', fields: ['zone', 'sessionIndexPending'] },
];
export const VIDEO_AGENT_TOKEN_INDEXES: readonly IndexSpec<AgentTokenDoc>[] = [
  { name: 'video_agent_tokens_hash_unique', fields: ['hash'], unique: true },
  { name: 'video_agent_tokens_zone', fields: ['zone'] },
];
export const AUDIT_LOG_INDEXES: readonly IndexSpec<AuditDoc>[] = [
  { name: 'audit_log_at', fields: ['at'] },
  { name: 'audit_log_actor', fields: ['actor'] },
];

/** Idempotent; run by migration 003. */
export async function ensureVideoIndexes(db: Db): Promise<void> {
  await ensureIndexes(db, VIDEO_RECORDINGS_COLLECTION, VIDEO_RECORDING_INDEXES);
  await ensureIndexes(db, VIDEO_AGENT_TOKENS_COLLECTION, VIDEO_AGENT_TOKEN_INDEXES);
  await ensureIndexes(db, AUDIT_LOG_COLLECTION, AUDIT_LOG_INDEXES);
  // The session buckets (video-sessions.ts) are read and written by _id only: no index beyond
  // the implicit unique _id.
  // video_zones uses the zone name as _id: unique without another index.
}

function zoneOf(doc: ZoneDoc): VideoZone {
  const { _id, ...rest } = doc;
  return { name: _id, ...rest };
}

export function recordingOf(doc: SessionEntryDoc & { deleting?: boolean }): VideoRecording {
  const recording: VideoRecording = {
    id: doc._id,
    zone: doc.zone,
    sessionId: doc.sessionId,
    fileName: doc.fileName,
    recordedAt: doc.recordedAt.toISOString(),
    storageDays: doc.storageDays,
    sizeBytes: doc.sizeBytes,
    sha256: doc.sha256,
    legalHold: doc.legalHold === true,
  };
  if (doc.projectId !== undefined && doc.projectId !== null) recording.projectId = doc.projectId;
  if (doc.deletedAt instanceof Date) recording.deletedAt = doc.deletedAt.toISOString();
  if (doc.missing === true) recording.missing = true;
  if (doc.deleting === true) recording.deleting = true;
  return recording;
}

export type RegisterResult = { created: true; recording: VideoRecording } | { created: false; recording: VideoRecording };

export class MongoVideoStore {
  private readonly zones: Collection<ZoneDoc>;
  private readonly recordings: Collection<RecordingDoc>;
  private readonly tokens: Collection<AgentTokenDoc>;
  private readonly audit: Collection<AuditDoc>;
  private readonly sessions: SessionIndex;

  constructor(db: Db) {
    this.sessions = new SessionIndex(db);
    this.zones = db.collection<ZoneDoc>(VIDEO_ZONES_COLLECTION);
    this.recordings = db.collection<RecordingDoc>(VIDEO_RECORDINGS_COLLECTION);
    this.tokens = db.collection<AgentTokenDoc>(VIDEO_AGENT_TOKENS_COLLECTION);
    this.audit = db.collection<AuditDoc>(AUDIT_LOG_COLLECTION);
  }

  // ---- zones

  async listZones(): Promise<VideoZone[]> {
    return (await this.zones.find({}).sort({ _id: 1 }).toArray()).map(zoneOf);
  }

  async getZone(name: string): Promise<VideoZone | undefined> {
    const doc = await this.zones.findOne({ _id: name });
    return doc === null ? undefined : zoneOf(doc);
  }

  async insertZone(zone: VideoZone): Promise<VideoZone> {
    const { name, ...rest } = zone;
    try {
      await this.zones.insertOne({ _id: name, ...rest });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new DuplicateKeyError(VIDEO_ZONES_COLLECTION, ['name'], undefined, { cause: error });
      throw error;
    }
    return zone;
  }

  async updateZone(name: string, changes: Partial<Omit<VideoZone, 'name' | 'createdAt'>>): Promise<VideoZone | undefined> {
    const result = await this.zones.updateOne({ _id: name }, { $set: changes });
    if (result.matchedCount === 0) return undefined;
    return this.getZone(name);
  }

  async deleteZone(name: string): Promise<boolean> {
    const result = await this.zones.deleteOne({ _id: name });
    await this.tokens.deleteMany({ zone: name });
    return result.deletedCount > 0;
  }

  async zoneHasRecordings(name: string): Promise<boolean> {
    return (await this.recordings.findOne({ zone: name }, { projection: { _id: 1 } })) !== null;
  }

  // ---- agent tokens

  async insertAgentToken(zone: string, hash: string): Promise<AgentTokenRecord> {
    const doc: AgentTokenDoc = { _id: uuidv7(), zone, hash, createdAt: new Date() };
    await this.tokens.insertOne(doc);
    return { id: doc._id, zone, createdAt: doc.createdAt.toISOString() };
  }

  async listAgentTokens(zone: string): Promise<AgentTokenRecord[]> {
    const docs = await this.tokens.find({ zone }).sort({ _id: 1 }).toArray();
    return docs.map((doc) => ({
      id: doc._id,
      zone: doc.zone,
      createdAt: doc.createdAt.toISOString(),
      ...(doc.revokedAt instanceof Date ? { revokedAt: doc.revokedAt.toISOString() } : {}),
    }));
  }

  async revokeAgentToken(zone: string, id: string): Promise<boolean> {
    const result = await this.tokens.updateOne({ _id: id, zone }, { $set: { revokedAt: new Date() } });
    return result.matchedCount > 0;
  }

  /** The zone of an unrevoked token with this hash. */
  async agentTokenZone(hash: string): Promise<string | undefined> {
    const doc = await this.tokens.findOne({ hash });
    if (doc === null || doc.revokedAt instanceof Date) return undefined;
    return doc.zone;
  }

  // ---- recordings

  /** Inserts the recording; an existing one with the same (zone, fileName) is returned instead. */
  async registerRecording(recording: NewRecording): Promise<RegisterResult> {
    const id = recordingIdOf(recording.zone, recording.fileName);
    const existing = await this.recordings.findOne({ _id: id });
    if (existing !== null) return { created: false, recording: recordingOf(await this.finishPending(existing)) };
    const doc: RecordingDoc = {
      _id: id,
      zone: recording.zone,
      sessionId: recording.sessionId,
      fileName: recording.fileName,
      recordedAt: new Date(recording.recordedAt),
      storageDays: recording.storageDays,
      expiresAt: expiresAt(recording),
      sizeBytes: recording.sizeBytes,
      sha256: recording.sha256.toLowerCase(),
      legalHold: false,
      sessionIndexPending: true,
      ...(recording.projectId !== undefined ? { projectId: recording.projectId } : {}),
    };
    try {
      await this.recordings.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const raced = await this.recordings.findOne({ _id: id });
      if (raced === null) throw error;
      return { created: false, recording: recordingOf(await this.finishPending(raced)) };
    }
    await this.syncSessionEntry(id);
    return { created: true, recording: recordingOf(doc) };
  }

  /** Copies the recording, as stored now, into its session bucket and clears its pending mark. */
  private async syncSessionEntry(id: string): Promise<RecordingDoc | undefined> {
    const doc = await this.recordings.findOne({ _id: id });
    if (doc === null) return undefined;
    return this.finishPending(doc, true);
  }

  private async finishPending(doc: RecordingDoc, always = false): Promise<RecordingDoc> {
    if (!always && doc.sessionIndexPending !== true) return doc;
    const sessionSlot = await this.sessions.put(doc, typeof doc.sessionSlot === 'number' ? doc.sessionSlot : undefined);
    await this.recordings.updateOne({ _id: doc._id }, { $set: { sessionSlot }, $unset: { sessionIndexPending: '' } });
    const { sessionIndexPending: _pending, ...rest } = doc;
    return { ...rest, sessionSlot };
  }

  /**
   * Copies the zone's recordings still marked pending (a node stopped between the recording's
   * write and its bucket's) into the session index. Run by every scan; returns how many.
   */
  async repairSessionIndex(zone: string): Promise<number> {
    const pending = await this.recordings.find({ zone, sessionIndexPending: true }).toArray();
    for (const doc of pending) await this.finishPending(doc);
    return pending.length;
  }

  async findByFile(zone: string, fileName: string): Promise<VideoRecording | undefined> {
    return this.getRecording(recordingIdOf(zone, fileName));
  }

  async getRecording(id: string): Promise<VideoRecording | undefined> {
    const doc = await this.recordings.findOne({ _id: id });
    return doc === null ? undefined : recordingOf(doc);
  }

  async search(filter: RecordingFilter, limit: number, offset: number): Promise<{ items: VideoRecording[]; total: number }> {
    if (filter.sessionId !== undefined) return this.searchBySession(filter.sessionId, filter, limit, offset);
    const query: Filter<RecordingDoc> = {};
    if (filter.projectId !== undefined) query.projectId = filter.projectId;
    if (filter.zone !== undefined) query.zone = filter.zone;
    if (filter.from !== undefined || filter.to !== undefined) {
      query.recordedAt = {
        ...(filter.from !== undefined ? { $gte: new Date(filter.from) } : {}),
        ...(filter.to !== undefined ? { $lt: new Date(filter.to) } : {}),
      };
    }
    const [docs, total] = await Promise.all([
      this.recordings.find(query).sort({ recordedAt: -1, _id: -1 }).skip(offset).limit(limit).toArray(),
      this.recordings.countDocuments(query),
    ]);
    return { items: docs.map(recordingOf), total };
  }

  /** The session's slots (two `_id` look-ups for a one-recording session); the other filters apply in memory. */
  private async searchBySession(
    sessionId: string,
    filter: RecordingFilter,
    limit: number,
    offset: number,
  ): Promise<{ items: VideoRecording[]; total: number }> {
    const found = await this.sessions.entries(sessionId);
    const from = filter.from !== undefined ? Date.parse(filter.from) : undefined;
    const to = filter.to !== undefined ? Date.parse(filter.to) : undefined;
    const matching = found
      .filter((doc) => doc.sessionId === sessionId)
      .filter((doc) => filter.projectId === undefined || doc.projectId === filter.projectId)
      .filter((doc) => filter.zone === undefined || doc.zone === filter.zone)
      .filter((doc) => from === undefined || doc.recordedAt.getTime() >= from)
      .filter((doc) => to === undefined || doc.recordedAt.getTime() < to)
      .sort((a, b) => b.recordedAt.getTime() - a.recordedAt.getTime() || (a._id < b._id ? 1 : -1));
    return { items: matching.slice(offset, offset + limit).map(recordingOf), total: matching.length };
  }

  /** Every record of a zone not deleted by retention: fileName, id and missing (for the scan). */
  async zoneFiles(zone: string): Promise<Array<{ id: string; fileName: string; missing: boolean; deleted: boolean }>> {
    const docs = await this.recordings.find({ zone }, { projection: { _id: 1, fileName: 1, missing: 1, deletedAt: 1 } }).toArray();
    return docs.map((doc) => ({
      id: doc._id,
      fileName: doc.fileName,
      missing: doc.missing === true,
      deleted: doc.deletedAt instanceof Date,
    }));
  }

  async setMissing(id: string, missing: boolean): Promise<void> {
    const result = await this.recordings.updateOne(
      { _id: id },
      missing ? { $set: { missing: true, sessionIndexPending: true } } : { $set: { sessionIndexPending: true }, $unset: { missing: '' } },
    );
    if (result.matchedCount > 0) await this.syncSessionEntry(id);
  }

  async setLegalHold(id: string, legalHold: boolean): Promise<VideoRecording | undefined> {
    const result = await this.recordings.updateOne({ _id: id }, { $set: { legalHold, sessionIndexPending: true } });
    if (result.matchedCount === 0) return undefined;
    const doc = await this.syncSessionEntry(id);
    return doc === undefined ? undefined : recordingOf(doc);
  }

  // ---- retention (docs/video.md, "Retention")

  /** Expired, not held, not deleted yet: what the next retention run deletes (oldest first). */
  async expiredRecordings(zone: string, now: Date, limit: number): Promise<VideoRecording[]> {
    const docs = await this.recordings
      .find({ zone, expiresAt: { $lte: now }, legalHold: false, deletedAt: { $exists: false } })
      .sort({ expiresAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(recordingOf);
  }

  /** Records a previous run marked for deletion but did not finish. */
  async deletionIntents(zone: string): Promise<VideoRecording[]> {
    return (await this.recordings.find({ zone, deleting: true }).toArray()).map(recordingOf);
  }

  /** Marks the intent on those still not held and not deleted (one bulk write). */
  async markDeletingMany(zone: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.recordings.updateMany(
      { zone, _id: { $in: ids }, legalHold: false, deletedAt: { $exists: false } },
      { $set: { deleting: true } },
    );
  }

  async cancelDeleting(id: string): Promise<void> {
    await this.recordings.updateOne({ _id: id }, { $unset: { deleting: '' } });
  }

  /** Only for records whose file is gone. Conditional: two runs finishing the same intent keep the first deletedAt. */
  async markDeletedMany(zone: string, ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.recordings.updateMany(
      { zone, _id: { $in: ids }, deletedAt: { $exists: false } },
      { $set: { deletedAt: at, sessionIndexPending: true }, $unset: { deleting: '', missing: '' } },
    );
    const changed = await this.recordings.find({ zone, _id: { $in: ids }, sessionIndexPending: true }).toArray();
    for (const doc of changed) await this.finishPending(doc);
  }

  // ---- audit

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    const { at, ...rest } = entry;
    await this.audit.insertOne({ _id: uuidv7(), at: new Date(at), ...rest });
  }

  async listAudit(query: AuditQuery): Promise<{ items: AuditEntry[]; total: number }> {
    const filter: Filter<AuditDoc> = {};
    if (query.action !== undefined) filter.action = query.action;
    if (query.actor !== undefined) filter.actor = query.actor;
    const [docs, total] = await Promise.all([
      this.audit
        .find(filter)
        .sort({ _id: -1 })
        .skip(query.offset ?? 0)
        .limit(query.limit ?? 100)
        .toArray(),
      this.audit.countDocuments(filter),
    ]);
    return {
      items: docs.map(({ _id, at, ...rest }) => ({ id: _id, at: at.toISOString(), ...rest })),
      total,
    };
  }
}

/**
 * The store as nodes use it: every method turns "MongoDB unreachable" into
 * StoreUnavailableError (the API answers 503 naming MongoDB, not 500).
 */
export function createVideoStore(db: Db): MongoVideoStore {
  const store = new MongoVideoStore(db);
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (isUnavailableError(error) && !(error instanceof StoreUnavailableError)) {
            throw new StoreUnavailableError('MongoDB is unavailable (video index)', { cause: error });
          }
          throw error;
        }
      };
    },
  });
}
