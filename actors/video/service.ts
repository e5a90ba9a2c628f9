// The video service the gateway calls: zones, agent tokens, upload, search, legal hold,
// retention, audit, playback (docs/video.md). Zone CRUD and tokens go straight to the store;
// uploads register through the zone's indexer, searches through the search actor, retention
// runs through the zone's runner.
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type {
  AgentConfig,
  AuditEntry,
  AuditQuery,
  CreateZoneBody,
  PatchZoneBody,
  SearchPage,
  SearchQuery,
  VideoRecording,
  VideoZone,
} from '../../domain/video/index.js';
import { agentConfigOf, checkFileName, checkZoneFields, isValidId, resolveInside, verifyPlayback } from '../../domain/video/index.js';
import { ask, type ActorRef } from '../kernel/index.js';
import { BadLinkError, NoStorageNodeError, VideoConflictError, VideoInvalidError, VideoNotFoundError } from './errors.js';
import { hashFile, removeFile, writeVerifiedFile, type OpenForWrite } from './file-store.js';
import type { IndexerMessage } from './indexer.js';
import type { AgentTokenInfo, RegisterOutcome, StorageNodeDirectory, StorageNodeInfo, VideoStore } from './ports.js';
import type { RetentionRunnerMessage } from './retention-actors.js';
import { previewRetention, type RetentionItem, type RetentionReport } from './retention.js';
import type { Requester, SearchMessage } from './search.js';
import type { ZoneCache } from './zone-cache.js';

const ASK_MS = 30_000;

export interface UploadMeta {
  sessionId: string;
  projectId?: string;
  /** ISO 8601. */
  recordedAt: string;
  sha256: string;
}

export interface UploadResult {
  created: boolean;
  recording: VideoRecording;
}

export interface PlaybackFile {
  path: string;
  sizeBytes: number;
  mtime: Date;
  user: string;
}

export interface VideoService {
  /** The zone this node stores, if any (VIDEO_ZONE). */
  readonly localZone: string | undefined;
  listZones(): Promise<VideoZone[]>;
  getZone(name: string): Promise<VideoZone>;
  createZone(body: CreateZoneBody): Promise<VideoZone>;
  patchZone(name: string, body: PatchZoneBody): Promise<VideoZone>;
  deleteZone(name: string): Promise<void>;

  issueAgentToken(zone: string): Promise<{ id: string; token: string }>;
  listAgentTokens(zone: string): Promise<AgentTokenInfo[]>;
  revokeAgentToken(zone: string, id: string): Promise<void>;
  /** True when `token` is a live agent token of `zone`. */
  checkAgentToken(zone: string, token: string): Promise<boolean>;
  agentConfig(zone: string): Promise<AgentConfig>;

  /** A live storage node of `zone` other than this one, or NoStorageNodeError; undefined when this node stores it. */
  storageNodeFor(zone: string): Promise<StorageNodeInfo | undefined>;
  upload(zone: string, fileName: string, meta: UploadMeta, body: Readable): Promise<UploadResult>;
  /** When the name is already stored: its outcome without reading a body (200/409), else undefined. */
  precheckUpload(zone: string, fileName: string, meta: UploadMeta): Promise<UploadResult | undefined>;

  search(query: SearchQuery, requester: Requester): Promise<SearchPage>;
  setLegalHold(id: string, legalHold: boolean): Promise<VideoRecording>;
  previewRetention(zone: string): Promise<RetentionItem[]>;
  runRetention(zone: string): Promise<RetentionReport>;
  listAudit(query: AuditQuery): Promise<{ items: AuditEntry[]; total: number }>;

  /** Verifies a playback link and finds the file; audits when `audit` is set. */
  openPlayback(
    zone: string,
    fileName: string,
    query: Record<string, unknown>,
    audit: { ip: string; range: string } | undefined,
  ): Promise<PlaybackFile>;
}

export interface VideoServiceDeps {
  store: VideoStore;
  zones: ZoneCache;
  nodes: StorageNodeDirectory;
  nodeName: string;
  localZone: string | undefined;
  secretKeyBase: string;
  search: ActorRef<SearchMessage>;
  /** Present on a storage node. */
  indexer: ActorRef<IndexerMessage> | undefined;
  runner: ActorRef<RetentionRunnerMessage> | undefined;
  /** Seam for tests of the disk-full path. */
  openForWrite?: OpenForWrite;
}

export function hashAgentToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createVideoService(deps: VideoServiceDeps): VideoService {
  const { store } = deps;

  async function zoneOrThrow(name: string): Promise<VideoZone> {
    const zone = await store.getZone(name);
    if (zone === undefined) throw new VideoNotFoundError(`There is no video zone "${name}".`);
    return zone;
  }

  function localStorage(zone: string): { indexer: ActorRef<IndexerMessage>; runner: ActorRef<RetentionRunnerMessage> } {
    if (deps.localZone !== zone || deps.indexer === undefined || deps.runner === undefined) throw new NoStorageNodeError(zone);
    return { indexer: deps.indexer, runner: deps.runner };
  }

  function register(
    indexer: ActorRef<IndexerMessage>,
    zone: VideoZone,
    fileName: string,
    meta: UploadMeta,
    sizeBytes: number,
    sha256: string,
  ): Promise<RegisterOutcome> {
    return ask(
      indexer,
      (replyTo) => ({
        kind: 'register',
        recording: {
          zone: zone.name,
          fileName,
          sessionId: meta.sessionId,
          ...(meta.projectId !== undefined ? { projectId: meta.projectId } : {}),
          recordedAt: meta.recordedAt,
          storageDays: zone.defaultStorageDays,
          sizeBytes,
          sha256,
        },
        replyTo,
      }),
      ASK_MS,
    );
  }

  /** The answer for a name whose file exists with `sha256`: same bytes → 200 (registered), else 409. */
  async function existingOutcome(
    zone: VideoZone,
    fileName: string,
    meta: UploadMeta,
    existing: { sha256: string; sizeBytes: number },
  ): Promise<UploadResult> {
    if (existing.sha256 !== meta.sha256.toLowerCase()) {
      throw new VideoConflictError(`${fileName} is already stored in zone ${zone.name} with different content.`);
    }
    const { indexer } = localStorage(zone.name);
    const outcome = await register(indexer, zone, fileName, meta, existing.sizeBytes, existing.sha256);
    if (outcome.recording.missing) await store.setMissing(outcome.recording.id, false);
    const { missing: _missing, ...recording } = outcome.recording;
    return { created: false, recording };
  }

  function checkMeta(zone: VideoZone, fileName: string, meta: UploadMeta): void {
    const name = checkFileName(fileName, zone.fileType);
    if (!name.ok) throw new VideoInvalidError(`params.fileName: ${name.message}`);
    if (!isValidId(meta.sessionId)) throw new VideoInvalidError('x-session-id must be 1-128 printable characters without spaces');
    if (meta.projectId !== undefined && !isValidId(meta.projectId))
      throw new VideoInvalidError('x-project-id must be 1-128 printable characters without spaces');
    if (!/^[0-9a-fA-F]{64}$/.test(meta.sha256)) throw new VideoInvalidError("x-sha256 must be the body's sha256 as 64 hex digits");
  }

  return {
    localZone: deps.localZone,
    listZones: () => store.listZones(),
    getZone: zoneOrThrow,

    async createZone(body) {
      checkZoneFields(body);
      const now = new Date().toISOString();
      const zone = await store.insertZone({ ...body, createdAt: now, updatedAt: now });
      deps.zones.forget(zone.name);
      return zone;
    },

    async patchZone(name, body) {
      checkZoneFields(body);
      const zone = await store.updateZone(name, { ...body, updatedAt: new Date().toISOString() });
      if (zone === undefined) throw new VideoNotFoundError(`There is no video zone "${name}".`);
      deps.zones.forget(name);
      return zone;
    },

    async deleteZone(name) {
      await zoneOrThrow(name);
      if (await store.zoneHasRecordings(name)) {
        throw new VideoConflictError(`Zone ${name} still has recordings in the index; it cannot be deleted.`);
      }
      await store.deleteZone(name);
      deps.zones.forget(name);
    },

    async issueAgentToken(zone) {
      await zoneOrThrow(zone);
      const token = `vat_${randomBytes(32).toString('base64url')}`;
      const info = await store.insertAgentToken(zone, hashAgentToken(token));
      return { id: info.id, token };
    },

    async listAgentTokens(zone) {
      await zoneOrThrow(zone);
      return store.listAgentTokens(zone);
    },

    async revokeAgentToken(zone, id) {
      if (!(await store.revokeAgentToken(zone, id))) throw new VideoNotFoundError(`Zone ${zone} has no agent token ${id}.`);
    },

    async checkAgentToken(zone, token) {
      if (!/^vat_[A-Za-z0-9_-]{43}$/.test(token)) return false;
      return (await store.agentTokenZone(hashAgentToken(token))) === zone;
    },

    async agentConfig(zone) {
      return agentConfigOf(await zoneOrThrow(zone));
    },

    async storageNodeFor(zone) {
      if (deps.localZone === zone && deps.indexer !== undefined) return undefined;
      const nodes = (await deps.nodes.storageNodesOf(zone)).filter((node) => node.name !== deps.nodeName);
      const node = nodes[Math.floor(Math.random() * nodes.length)];
      if (node === undefined) throw new NoStorageNodeError(zone);
      return node;
    },

    async precheckUpload(zoneName, fileName, meta) {
      const zone = await zoneOrThrow(zoneName);
      checkMeta(zone, fileName, meta);
      localStorage(zoneName);
      const path = resolveInside(zone.storageDir, fileName);
      if (path === undefined) throw new VideoInvalidError('params.fileName: not a plain file name');
      const record = await store.findByFile(zoneName, fileName);
      if (record?.deletedAt !== undefined) {
        throw new VideoConflictError(`${fileName} was deleted by retention on ${record.deletedAt}; it is not stored again.`);
      }
      const info = await stat(path).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
        throw error;
      });
      if (info === undefined) return undefined;
      // A retry of a stored upload: the index knows the hash (no need to read a big file again).
      const known = record !== undefined && record.missing !== true && record.sizeBytes === info.size;
      const existing = known ? { sha256: record.sha256, sizeBytes: record.sizeBytes } : await hashFile(path);
      return existingOutcome(zone, fileName, meta, existing);
    },

    async upload(zoneName, fileName, meta, body) {
      const zone = await zoneOrThrow(zoneName);
      checkMeta(zone, fileName, meta);
      const { indexer } = localStorage(zoneName);
      const path = resolveInside(zone.storageDir, fileName);
      if (path === undefined) throw new VideoInvalidError('params.fileName: not a plain file name');
      const written = await writeVerifiedFile(zone.storageDir, fileName, body, meta.sha256, deps.openForWrite);
      if (written.kind === 'exists') return existingOutcome(zone, fileName, meta, written);
      let outcome: RegisterOutcome;
      try {
        outcome = await register(indexer, zone, fileName, meta, written.sizeBytes, meta.sha256.toLowerCase());
      } catch (error) {
        // Not indexed: do not keep a file nobody can find (nothing half-written).
        await removeFile(path).catch(() => undefined);
        throw error;
      }
      if (!outcome.created && outcome.recording.sha256 !== meta.sha256.toLowerCase()) {
        await removeFile(path).catch(() => undefined);
        throw new VideoConflictError(`${fileName} is already indexed in zone ${zone.name} with different content.`);
      }
      if (outcome.recording.missing) await store.setMissing(outcome.recording.id, false);
      const { missing: _missing, ...recording } = outcome.recording;
      return { created: outcome.created, recording };
    },

    search(query, requester) {
      return ask(deps.search, (replyTo) => ({ kind: 'search', query, requester, replyTo }), ASK_MS);
    },

    async setLegalHold(id, legalHold) {
      const recording = await store.setLegalHold(id, legalHold);
      if (recording === undefined) throw new VideoNotFoundError(`There is no recording ${id}.`);
      return recording;
    },

    async previewRetention(zone) {
      return previewRetention(await zoneOrThrow(zone), store);
    },

    async runRetention(zone) {
      await zoneOrThrow(zone);
      const { runner } = localStorage(zone);
      return ask(runner, (replyTo) => ({ kind: 'run', replyTo }), 24 * 3_600_000);
    },

    listAudit: (query) => store.listAudit(query),

    async openPlayback(zoneName, fileName, query, audit) {
      const check = verifyPlayback(deps.secretKeyBase, zoneName, fileName, query);
      if (!check.ok) throw new BadLinkError(check.reason);
      if (deps.localZone !== zoneName) throw new VideoNotFoundError(`This node does not store zone ${zoneName}.`);
      const zone = await deps.zones.get(zoneName);
      if (zone === undefined) throw new VideoNotFoundError(`There is no video zone "${zoneName}".`);
      const path = resolveInside(zone.storageDir, fileName);
      if (path === undefined) throw new VideoInvalidError('The path leaves the storage directory.');
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || !info.isFile()) throw new VideoNotFoundError(`${fileName} is not stored in zone ${zoneName}.`);
      if (audit !== undefined) {
        await store.appendAudit({
          at: new Date().toISOString(),
          action: 'video.playback',
          actor: check.user === '' ? 'anonymous' : check.user,
          ip: audit.ip,
          details: { zone: zoneName, fileName, range: audit.range },
        });
      }
      return { path, sizeBytes: info.size, mtime: info.mtime, user: check.user };
    },
  };
}
