// actors/auth: the users actor (user management) and the AuthService facade over it.
import type { Logger } from '../../domain/log.js';
import type { ActorRef, Spawner } from '../kernel/index.js';
import type { UsersMessage } from './messages.js';
import type { UsersPort } from './ports.js';
import { createAuthService, type AuthService } from './service.js';
import { usersActorSpec } from './users-actor.js';

export * from './errors.js';
export type { Caller, PublicUsersPage, UserChanges, UsersMessage } from './messages.js';
export type { NewUserRecord, UserRecordChanges, UsersPage, UsersPort } from './ports.js';
export { Secret } from './secret.js';
export * from './service.js';
export { USERS_ACTOR_NAME, usersActorSpec, type UsersActorDeps } from './users-actor.js';

export interface StartAuthOptions {
  users: UsersPort;
  secretKeyBase: string;
  tokenTtlMs: number;
  log: Logger;
  askTimeoutMs?: number;
}

/** Spawns the users actor under `parent` and returns the AuthService that talks to it. */
export function startAuth(parent: Spawner, options: StartAuthOptions): { ref: ActorRef<UsersMessage>; service: AuthService } {
  const ref = parent.spawn(usersActorSpec({ users: options.users }));
  const service = createAuthService({
    users: ref,
    secretKeyBase: options.secretKeyBase,
    tokenTtlMs: options.tokenTtlMs,
    log: options.log,
    ...(options.askTimeoutMs !== undefined ? { askTimeoutMs: options.askTimeoutMs } : {}),
  });
  return { ref, service };
}
