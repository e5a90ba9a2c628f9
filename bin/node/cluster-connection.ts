// Connects the node to the Hazelcast cluster store, retrying with a clear line per failure
// until it is reachable (a dead member at start is waited for, not a crash).
import { createHazelcastStore } from '../../cluster/hazelcast/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { errorText } from '../../domain/errors.js';

const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 10_000;

export async function connectClusterStore(config: NodeConfig, log: Logger, isStopping: () => boolean): Promise<ClusterStore | undefined> {
  let delayMs = RETRY_INITIAL_MS;
  while (!isStopping()) {
    try {
      return await createHazelcastStore({
        members: config.hzMembers,
        clusterName: config.hzClusterName,
        log,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        nodeDownAfterMs: config.nodeDownAfterMs,
      });
    } catch (error) {
      const reason = errorText(error);
      log.warn(`${reason}; retrying in ${Math.round(delayMs / 1000)}s`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
    }
  }
  return undefined;
}
