// What the scheduling jobs need from the rest of the node, passed in when the branch starts
// (bin/node/scheduling.ts): the routing view for reads, the domain service for writes, the
// recording claims in MongoDB, the job reports in the cluster store, the EPG sources.
import type { DomainModel } from '../../domain/routing/entities.js';
import type { ClaimPatch, RecordingClaim } from '../../domain/scheduling/claims.js';

export type { ClaimPatch, ClaimState, RecordingClaim } from '../../domain/scheduling/claims.js';
import type { DomainService } from '../routing/index.js';

export const JOB_NAMES = ['epg-fetch', 'epg-import', 'recording-scheduler', 'status-poller', 'cleaners'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}

/** The node's current routing view: what every read of the jobs uses (no MongoDB round trip). */
export interface ModelSource {
  current(): DomainModel;
}

/** Writes go through the domain-model service: MongoDB first, then the cluster maps. */
export type DomainWriter = Pick<DomainService, 'create' | 'patch' | 'remove' | 'importPrograms'>;

/** Claims in MongoDB (persistence/scheduling-claims.ts); see domain/scheduling/claims.ts. */
export interface RecordingClaims {
  /** Inserts the claim; false when one with that key exists already. */
  claim(claim: RecordingClaim): Promise<boolean>;
  get(key: string): Promise<RecordingClaim | undefined>;
  update(key: string, patch: ClaimPatch): Promise<void>;
  release(key: string): Promise<void>;
  /** Claims in `unknown` state (for the status report). */
  unresolved(limit: number): Promise<RecordingClaim[]>;
  /** Deletes the claims made before `iso`; returns how many. */
  removeClaimedBefore(iso: string): Promise<number>;
}

export interface JobError {
  reason: string;
  /** What it was about: a file, a programme epgId, a record id, a server. */
  item?: string;
}

export interface EpgFiles {
  inbox: string[];
  processed: string[];
  failed: Array<{ name: string; reason: string }>;
}

export interface JobReport {
  job: JobName;
  node: string;
  startedAt: string;
  endedAt: string;
  /** False when at least one error was recorded. */
  ok: boolean;
  counts: Record<string, number>;
  /** The first errors of the run, with their reasons. */
  errors: JobError[];
  /** EPG jobs: the EPG folders of the node that ran it. */
  files?: EpgFiles;
}

export interface JobReports {
  put(report: JobReport): Promise<void>;
  all(): Promise<Partial<Record<JobName, JobReport>>>;
}

export interface RemoteEpgFile {
  name: string;
  size: number;
}

/** One connection's worth of work on the EPG server; closed by the caller. */
export interface EpgSession {
  list(): Promise<RemoteEpgFile[]>;
  /** Writes the remote file to `localPath` (the caller renames it into place). */
  download(name: string, localPath: string): Promise<void>;
  remove(name: string): Promise<void>;
  close(): void;
}

export interface EpgSource {
  /** Safe to log (no credentials). */
  readonly description: string;
  open(): Promise<EpgSession>;
}
