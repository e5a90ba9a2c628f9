// `ctl nodes`: the live nodes, from a running node's admin API (GET /api/v1/cluster/nodes) or
// straight from the cluster store (HZ_MEMBERS) when no credentials are given or with --direct.
import { createHazelcastStore } from '../../cluster/hazelcast/index.js';
import { loadStoresConfig } from '../../domain/config.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import type { ClusterNodeView } from '../../gateway/admin/index.js';
import { clusterInfoOf } from '../node/cluster-info.js';
import { AdminClient, type Credentials } from './admin-client.js';
import { CtlError, cliLogger, messageOf, type Output } from './cli.js';

export interface NodesOptions {
  env: Record<string, string | undefined>;
  output: Output;
  /** Through this node's admin API; undefined: through the cluster store. */
  via?: { baseUrl: string; credentials: Credentials };
  json: boolean;
  verbose?: boolean;
}

const STORE_CONNECT_TIMEOUT_MS = 5000;

async function fromAdminApi(baseUrl: string, credentials: Credentials): Promise<ClusterNodeView[]> {
  const answer = await new AdminClient(baseUrl, credentials).call('GET', '/api/v1/cluster/nodes');
  const nodes = (answer.body as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodes)) throw new CtlError(`GET ${baseUrl}/api/v1/cluster/nodes: unexpected answer`);
  return nodes as ClusterNodeView[];
}

async function fromClusterStore(opts: NodesOptions): Promise<ClusterNodeView[]> {
  const config = loadStoresConfig(opts.env);
  let closing = false;
  let store: ClusterStore;
  try {
    store = await createHazelcastStore({
      members: config.hzMembers,
      clusterName: config.hzClusterName,
      log: cliLogger(opts.output, opts.verbose, () => closing),
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      nodeDownAfterMs: config.nodeDownAfterMs,
      connectTimeoutMs: STORE_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new CtlError(messageOf(err));
  }
  try {
    return await clusterInfoOf(store).nodes();
  } finally {
    closing = true; // the client reports its own shutdown as a disconnect
    await store.close().catch(() => undefined);
  }
}

function table(nodes: ClusterNodeView[]): string[] {
  const rows = [
    ['NAME', 'HOST', 'PORT', 'API_PORT', 'STARTED', 'LAST HEARTBEAT', 'SINGLETONS'],
    ...nodes.map((n) => [
      n.name,
      n.host,
      String(n.port),
      String(n.apiPort),
      n.startedAt,
      n.lastHeartbeatAt,
      n.singletons.length > 0 ? n.singletons.join(',') : '-',
    ]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '));
}

export async function listNodes(opts: NodesOptions): Promise<void> {
  const nodes = opts.via ? await fromAdminApi(opts.via.baseUrl, opts.via.credentials) : await fromClusterStore(opts);
  if (opts.json) {
    opts.output.out(JSON.stringify({ nodes }, null, 2));
    return;
  }
  for (const line of table(nodes)) opts.output.out(line);
  opts.output.out(`${nodes.length} live node${nodes.length === 1 ? '' : 's'}`);
}
