// What the video branch needs from the outside, passed in by bin/ (docs/architecture.md):
// the index store (MongoDB) and the cluster's live nodes (to find a zone's storage nodes).
import type { AuditEntry, AuditQuery, NewRecording, RecordingFilter, VideoRecording, VideoZone } from '../../domain/video/index.js';

export interface AgentTokenInfo {
  id: string;
  zone: string;
  createdAt: string;
  revokedAt?: string;
}

export type RegisterOutcome = { created: boolean; recording: VideoRecording };

export interface VideoStore {
  listZones(): Promise<VideoZone[]>;
  getZone(name: string): Promise<VideoZone | undefined>;
  insertZone(zone: VideoZone): Promise<VideoZone>;
  updateZone(name: string, changes: Partial<Omit<VideoZone, 'name' | 'createdAt'>>): Promise<VideoZone | undefined>;
  deleteZone(name: string): Promise<boolean>;
  zoneHasRecordings(name: string): Promise<boolean>;

  insertAgentToken(zone: string, hash: string): Promise<AgentTokenInfo>;
  listAgentTokens(zone: string): Promise<AgentTokenInfo[]>;
  revokeAgentToken(zone: string, id: string): Promise<boolean>;
  agentTokenZone(hash: string): Promise<string | undefined>;

  registerRecording(recording: NewRecording): Promise<RegisterOutcome>;
  findByFile(zone: string, fileName: string): Promise<VideoRecording | undefined>;
  getRecording(id: string): Promise<VideoRecording | undefined>;
  search(filter: RecordingFilter, limit: number, offset: number): Promise<{ items: VideoRecording[]; total: number }>;
  zoneFiles(zone: string): Promise<Array<{ id: string; fileName: string; missing: boolean; deleted: boolean }>>;
  setMissing(id: string, missing: boolean): Promise<void>;
  setLegalHold(id: string, legalHold: boolean): Promise<VideoRecording | undefined>;
  /** Re-copies the zone's recordings whose session-index write did not finish (docs/video.md, "Storage"). */
  repairSessionIndex(zone: string): Promise<number>;

  expiredRecordings(zone: string, now: Date, limit: number): Promise<VideoRecording[]>;
  deletionIntents(zone: string): Promise<VideoRecording[]>;
  /** Marks the intent on those of `ids` still not held and not deleted. */
  markDeletingMany(zone: string, ids: string[]): Promise<void>;
  cancelDeleting(id: string): Promise<void>;
  /** Only for records whose file is proven gone. */
  markDeletedMany(zone: string, ids: string[], at: Date): Promise<void>;

  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<void>;
  listAudit(query: AuditQuery): Promise<{ items: AuditEntry[]; total: number }>;
}

/** A live node that stores a zone's files, as membership announces it (meta.videoZone). */
export interface StorageNodeInfo {
  name: string;
  host: string;
  port: number;
}

export interface StorageNodeDirectory {
  /** Live storage nodes of `zone`. */
  storageNodesOf(zone: string): Promise<StorageNodeInfo[]>;
}
