// Creating the Hazelcast client. Two steps, so that both needs are met with public API only:
//  1. a probe client with a bounded connect timeout: when the cluster cannot be reached (or
//     rejects our cluster name) the node stops with a clear message instead of hanging;
//  2. the real client, which never gives up reconnecting (a member restart must not end it).
import { Client, LogLevel, ReconnectMode, type ClientConfig, type LifecycleState } from 'hazelcast-client';
import type { Logger } from '../../domain/log.js';
import { hazelcastLogger } from './logger.js';

export interface ConnectOptions {
  members: string[];
  clusterName: string;
  log: Logger;
  invocationTimeoutMs: number;
  connectTimeoutMs: number;
  onLifecycle: (state: LifecycleState) => void;
  /** While true, the client's own warnings are logged at debug (we log one line ourselves). */
  quiet: () => boolean;
}

const MEMBER_ADDRESS = /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export function validateMembers(members: string[]): void {
  if (!Array.isArray(members) || members.length === 0) {
    throw new Error('HZ_MEMBERS: at least one Hazelcast member address (host:port) is needed');
  }
  for (const member of members) {
    if (typeof member !== 'string' || !MEMBER_ADDRESS.test(member.trim())) {
      throw new Error(`HZ_MEMBERS: "${String(member)}" is not a host:port address`);
    }
  }
}

function baseConfig(opts: ConnectOptions): ClientConfig {
  return {
    clusterName: opts.clusterName,
    network: { clusterMembers: opts.members.map((m) => m.trim()), connectionTimeout: 5000, smartRouting: true },
    properties: {
      'hazelcast.client.invocation.timeout.millis': opts.invocationTimeoutMs,
      'hazelcast.client.heartbeat.interval': 5000,
      'hazelcast.client.heartbeat.timeout': 15000,
    },
  };
}

async function probe(opts: ConnectOptions): Promise<void> {
  let rejectedName = false;
  const base = baseConfig(opts);
  let probeClient: Client;
  try {
    probeClient = await Client.newHazelcastClient({
      ...base,
      connectionStrategy: {
        asyncStart: false,
        reconnectMode: ReconnectMode.OFF,
        connectionRetry: {
          initialBackoffMillis: 250,
          maxBackoffMillis: 1000,
          clusterConnectTimeoutMillis: opts.connectTimeoutMs,
        },
      },
      customLogger: hazelcastLogger(opts.log, {
        debugOnly: true,
        onLine: (level, message) => {
          if (level <= LogLevel.WARN && /cluster name/i.test(message)) rejectedName = true;
        },
      }),
    });
  } catch {
    const where = opts.members.join(', ');
    throw new Error(
      rejectedName
        ? `Hazelcast at ${where} does not accept the cluster name "${opts.clusterName}" (HZ_CLUSTER_NAME)`
        : `cannot reach Hazelcast at ${where} (HZ_MEMBERS)`,
    );
  }
  await probeClient.shutdown();
}

export async function connectClient(opts: ConnectOptions): Promise<Client> {
  validateMembers(opts.members);
  await probe(opts);
  return Client.newHazelcastClient({
    ...baseConfig(opts),
    connectionStrategy: {
      asyncStart: false,
      reconnectMode: ReconnectMode.ON,
      connectionRetry: {
        initialBackoffMillis: 250,
        maxBackoffMillis: 2000,
        multiplier: 1.5,
        jitter: 0.2,
        clusterConnectTimeoutMillis: -1,
      },
    },
    lifecycleListeners: [opts.onLifecycle],
    customLogger: hazelcastLogger(opts.log, { quiet: opts.quiet }),
  });
}
