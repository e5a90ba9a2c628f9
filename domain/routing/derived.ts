// Derived, read-only fields: ServerGroup.regionIds (regions that list the group) and
// Server.serverGroupIds (groups that list the server). Never stored as truth; recomputed.
import type { DomainModel, Server, ServerGroup } from './entities.js';

function listersOf(owners: ReadonlyArray<{ id: string; list: readonly string[] | undefined }>): Map<string, string[]> {
  const byMember = new Map<string, string[]>();
  for (const owner of owners) {
    for (const member of owner.list ?? []) {
      const ids = byMember.get(member);
      if (ids) {
        if (!ids.includes(owner.id)) ids.push(owner.id);
      } else byMember.set(member, [owner.id]);
    }
  }
  return byMember;
}

/** A copy of the model whose groups and servers carry freshly computed derived fields. */
export function withDerivedFields(model: DomainModel): DomainModel {
  const regionsOfGroup = listersOf(model.regions.map((r) => ({ id: r.id, list: r.serverGroupIds })));
  const groupsOfServer = listersOf(model.serverGroups.map((g) => ({ id: g.id, list: g.serverIds })));
  return {
    ...model,
    serverGroups: model.serverGroups.map((g): ServerGroup => ({ ...g, regionIds: regionsOfGroup.get(g.id) ?? [] })),
    servers: model.servers.map((s): Server => ({ ...s, serverGroupIds: groupsOfServer.get(s.id) ?? [] })),
  };
}
