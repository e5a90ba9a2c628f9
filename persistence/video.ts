// The video index in MongoDB (and FerretDB v1): zones, recordings, agent tokens, audit log.
//
// Hot paths are `_id` look-ups (docs/video.md, "Storage"):
//  - a recording's `_id` is `<zone>~<fileName>` (`~` is in neither; the id is URL-safe):
//    registering twice is a duplicate `_id`, and "is this file indexed?" is one look-up;
//  - search by session id reads session keys `<k>:<sessionId>` (k = 0, 1, 2, … until a miss),
//    each naming a recording, then the recordings by `_id`. A key is claimed by inserting it
//    (a unique `_id` is the one atomic primitive FerretDB has; its updates are not isolated),
//    and written before its recording, so a crash in between leaves a key to a missing
//    recording (skipped), never a recording its session cannot find. Keys are never deleted,
//    so the numbers stay dense.
// On MongoDB every one of these is an index look-up. FerretDB v1.24.2 (SQLite) scans the
// collection for every filter, `_id` included (its explain: SCAN; measured in
// docs/performance.md, B7), so on FerretDB a look-up costs time linear in the collection size.
// The secondary indexes (sessionId, projectId, zone + recordedAt, …) serve a real MongoDB.
//
// Structurally this is the actors' VideoStore port (persistence does not import actors/).
import { v7 as uuidv7 } from 'uuid';
import type { Collection, Db, Filter } from 'mongodb';
import type { AuditEntry, AuditQuery, NewRecording, RecordingFilter, VideoRecording, VideoZone } from '../domain/video/index.js';
import { expiresAt } from '../domain/video/index.js';
import { DuplicateKeyError, StoreUnavailableError, isDuplicateKeyError, isUnavailableError } from './errors.js';
import { ensureIndexes, type IndexSpec } from './indexes.js';

export const VIDEO_ZONES_COLLECTION = 'video_zones';
export const VIDEO_RECORDINGS_COLLECTION = 'video_recordings';
export const VIDEO_AGENT_TOKENS_COLLECTION = 'video_agent_tokens';
export const AUDIT_LOG_COLLECTION = 'audit_log';
export const VIDEO_SESSION_KEYS_COLLECTION = 'video_session_keys';
/** A session with more recordings than this is not read further (a guard, not a real limit). */
const MAX_RECORDINGS_PER_SESSION = 10_000;

interface SessionKeyDoc {
  /** `<k>:<sessionId>`. */
  _id: string;
  recordingId: string;
}

export function recordingIdOf(zone: string, fileName: string): string {
  return `${zone}~${fileName}`;
}

interface ZoneDoc extends Omit<VideoZone, 'name'> {
  _id: string;
}

interface RecordingDoc {
  _id: string;
  zone: string;
  projectId?: string;
  sessionId: string;
  fileName: string;
  recordedAt: Date;
  storageDays: number;
  /** recordedAt + storageDays: retention's look-up key. */
  expiresAt: Date;
  sizeBytes: number;
  sha256: string;
  legalHold: boolean;
  deletedAt?: Date;
  missing?: boolean;
  deleting?: boolean;
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
  // video_session_keys is read by _id only.
  // video_zones uses the zone name as _id: unique without another index.
}

function zoneOf(doc: ZoneDoc): VideoZone {
  const { _id, ...rest } = doc;
  return { name: _id, ...rest };
}

export function recordingOf(doc: RecordingDoc): VideoRecording {
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
  private readonly sessionKeys: Collection<SessionKeyDoc>;

  constructor(db: Db) {
    this.sessionKeys = db.collection<SessionKeyDoc>(VIDEO_SESSION_KEYS_COLLECTION);
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
    const existing = await this.getRecording(id);
    if (existing !== undefined) return { created: false, recording: existing };
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
      ...(recording.projectId !== undefined ? { projectId: recording.projectId } : {}),
    };
    await this.ensureSessionKey(recording.sessionId, id);
    try {
      await this.recordings.insertOne(doc);
      return { created: true, recording: recordingOf(doc) };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const raced = await this.getRecording(id);
      if (raced === undefined) throw error;
      return { created: false, recording: raced };
    }
  }

  /** The recording ids the session's keys name, in key order. */
  private async sessionRecordingIds(sessionId: string): Promise<string[]> {
    const ids: string[] = [];
    for (let k = 0; k < MAX_RECORDINGS_PER_SESSION; k++) {
      const key = await this.sessionKeys.findOne({ _id: `${k}:${sessionId}` });
      if (key === null) break;
      ids.push(key.recordingId);
    }
    return ids;
  }

  /** Claims the next free key of the session for the recording, unless one names it already. */
  private async ensureSessionKey(sessionId: string, recordingId: string): Promise<void> {
    for (let k = 0; k < MAX_RECORDINGS_PER_SESSION; k++) {
      const key = await this.sessionKeys.findOne({ _id: `${k}:${sessionId}` });
      if (key !== null) {
        if (key.recordingId === recordingId) return;
        continue;
      }
      try {
        await this.sessionKeys.insertOne({ _id: `${k}:${sessionId}`, recordingId });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        k -= 1; // taken meanwhile: look at it again
      }
    }
    throw new Error(`session ${sessionId} has more than ${MAX_RECORDINGS_PER_SESSION} recordings`);
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

  /** `_id` look-ups only: the session's keys, then its recordings; the other filters apply in memory. */
  private async searchBySession(
    sessionId: string,
    filter: RecordingFilter,
    limit: number,
    offset: number,
  ): Promise<{ items: VideoRecording[]; total: number }> {
    const ids = [...new Set(await this.sessionRecordingIds(sessionId))];
    const found = await Promise.all(ids.map((id) => this.recordings.findOne({ _id: id })));
    const from = filter.from !== undefined ? Date.parse(filter.from) : undefined;
    const to = filter.to !== undefined ? Date.parse(filter.to) : undefined;
    const matching = found
      .filter((doc): doc is RecordingDoc & { _id: string } => doc !== null)
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
    await this.recordings.updateOne({ _id: id }, missing ? { $set: { missing: true } } : { $unset: { missing: '' } });
  }

  async setLegalHold(id: string, legalHold: boolean): Promise<VideoRecording | undefined> {
    const result = await this.recordings.updateOne({ _id: id }, { $set: { legalHold } });
    if (result.matchedCount === 0) return undefined;
    return this.getRecording(id);
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
      { $set: { deletedAt: at }, $unset: { deleting: '', missing: '' } },
    );
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
