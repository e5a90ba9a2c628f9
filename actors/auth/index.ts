// actors/auth: the users actor (user management) and the AuthService facade over it.
import type { ScryptParams } from '../../domain/auth/index.js';
import type { Logger } from '../../domain/log.js';
import type { ActorRef, Spawner } from '../kernel/index.js';
import type { UsersMsg } from './messages.js';
import type { UsersPort } from './ports.js';
import { createAuthService, type AuthService } from './service.js';
import type { UserChangeFeed } from './user-cache.js';
import { usersSpec } from './users.js';

export * from './errors.js';
export * from './directory-login.js';
export type { Caller, PublicUsersPage, UserChanges, UsersMsg } from './messages.js';
export type { NewUserRecord, UserRecordChanges, UsersPage, UsersPort } from './ports.js';
export { Secret } from './secret.js';
export { UserCache, type UserCacheOptions, type UserChangeFeed } from './user-cache.js';
export * from './service.js';
export { USERS_ACTOR_NAME, usersSpec, type UsersDeps } from './users.js';

export interface StartAuthOptions {
  users: UsersPort;
  secretKeyBase: string;
  tokenTtlMs: number;
  log: Logger;
  askTimeoutMs?: number;
  /** Default DEFAULT_SCRYPT_PARAMS (tests use cheaper ones). */
  scrypt?: ScryptParams;
  /** Cluster-wide invalidation of the per-node user cache (./user-cache.ts). */
  changes?: UserChangeFeed;
}

/** Spawns the users actor under `parent` and returns the AuthService that talks to it. */
export function startAuth(parent: Spawner, options: StartAuthOptions): { ref: ActorRef<UsersMsg>; service: AuthService } {
  const ref = parent.spawn(usersSpec({ users: options.users, ...(options.scrypt !== undefined ? { scrypt: options.scrypt } : {}) }));
  const service = createAuthService({
    users: ref,
    secretKeyBase: options.secretKeyBase,
    tokenTtlMs: options.tokenTtlMs,
    log: options.log,
    ...(options.askTimeoutMs !== undefined ? { askTimeoutMs: options.askTimeoutMs } : {}),
    ...(options.changes !== undefined ? { changes: options.changes } : {}),
  });
  return { ref, service };
}
