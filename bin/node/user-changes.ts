// The users' change feed over the cluster store: a change of a user on one node drops that
// user from every node's cache (actors/auth/user-cache.ts).
import type { UserChangeFeed } from '../../actors/auth/index.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';

export const USER_CHANGES_TOPIC = 'auth.users.changed';

export function userChangeFeed(store: ClusterStore): UserChangeFeed {
  return {
    publish: (id) => store.topics.publish<string>(USER_CHANGES_TOPIC, id),
    subscribe: (listener) => store.topics.subscribe<string>(USER_CHANGES_TOPIC, listener),
  };
}
