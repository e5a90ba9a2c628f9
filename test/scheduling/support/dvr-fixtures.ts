// Records and clients the scheduling job tests share: the DVR server that is the simulator,
// a DVR client with the simulator's credentials, and a claim another scheduler holds.
import { createDvrClient, type DvrCalls } from '../../../actors/scheduling/dvr-client.js';
import type { RecordingClaim } from '../../../actors/scheduling/ports.js';
import type { Server } from '../../../domain/routing/entities.js';
import type { DvrSimulator } from '../../support/dvr-simulator.js';

export const SIM_CREDENTIALS = { user: 'u', password: 'p' } as const;

export function simulatorClient(): DvrCalls {
  return createDvrClient({ ...SIM_CREDENTIALS, timeoutMs: 1000 });
}

/** The DVR server record whose management port is the simulator's. */
export function simulatorServer(sim: DvrSimulator): Server {
  return {
    id: 'dvr',
    type: 'DVR',
    domainName: 'dvr.test',
    ip: '127.0.0.1',
    port: 80,
    manageIp: '127.0.0.1',
    managePort: sim.port,
    status: 'ACTIVE',
    availability: true,
    weight: 1,
    healthcheckEnabled: false,
    prefix: 'd',
  };
}

/** A `scheduling` claim on programme `p` (HLS, no encryption) taken by node `n0` at `claimedAtMs`. */
export function claimHeldByOtherNode(claimedAtMs: number): RecordingClaim {
  return {
    key: 'p|HLS|NONE',
    programId: 'p',
    protocol: 'HLS',
    encryption: 'NONE',
    state: 'scheduling',
    node: 'n0',
    claimedAt: new Date(claimedAtMs).toISOString(),
  };
}
