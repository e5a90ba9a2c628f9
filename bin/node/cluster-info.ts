// GET /api/v1/cluster/nodes: live nodes from membership, with the singleton leases each holds.
import type { ClusterNodeView } from '../../gateway/admin/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';

export function clusterInfoOf(store: ClusterStore): { nodes(): Promise<ClusterNodeView[]> } {
  return {
    async nodes() {
      const [nodes, leases] = await Promise.all([store.membership.nodes(), store.leases.all()]);
      const held = new Map<string, string[]>();
      for (const lease of leases) held.set(lease.holder, [...(held.get(lease.holder) ?? []), lease.name]);
      return nodes.map((node) => ({ ...node, singletons: held.get(node.name) ?? [] })).sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}
