// What the health checker needs from the rest of the node, as small interfaces passed in
// when the routing branch starts (tests pass fakes).
import type { Server } from '../../../domain/routing/entities.js';

/** The servers to consider: the routing view's ACTIVE servers (EDGE and DVR). */
export interface ServerSource {
  activeServers(): readonly Server[];
}

/**
 * Persists an availability change (the domain-model actor: MongoDB first, then the cluster
 * map). Called only when availability changes; a rejection means "not written, try again".
 */
export interface AvailabilityWriter {
  setAvailability(serverId: string, available: boolean, reason: string): Promise<void>;
}

/** One finished round, for metrics and for tests that must know who probed when. */
export interface RoundSummary {
  /** The node whose worker ran the round. */
  node: string;
  /** Per worker incarnation, from 1. */
  round: number;
  startedAt: number;
  finishedAt: number;
  probed: number;
  healthy: number;
  /** Availability changes written in this round. */
  transitions: number;
}
