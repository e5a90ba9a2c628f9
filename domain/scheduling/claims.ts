// The recording scheduler's claims (docs/scheduling.md, "Never twice"): one per
// (programme, protocol, encryption), stored with that key as its unique id before any DVR
// is asked, so no two schedulers ever ask for the same recording.

export type ClaimState = 'scheduling' | 'scheduled' | 'recorded' | 'unknown';

export interface RecordingClaim {
  key: string;
  programId: string;
  protocol: string;
  encryption: string;
  state: ClaimState;
  node: string;
  claimedAt: string;
  /** Set once a DVR accepted the task. */
  path?: string;
  serverId?: string;
  /** Why the claim is `unknown` (the DVR call's outcome was lost). */
  reason?: string;
}

export type ClaimPatch = Partial<Pick<RecordingClaim, 'state' | 'path' | 'serverId' | 'reason'>>;
