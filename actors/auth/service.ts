// AuthService: the facade the gateway uses. Each call asks the users actor with a timeout;
// tokens are signed and checked here (HMAC, no I/O), so the actor never sees a token.
import { randomBytes } from 'node:crypto';
import { signToken, verifyToken, type PublicUser, type Role, type TokenFailure } from '../../domain/auth/index.js';
import type { Logger } from '../../domain/log.js';
import { ActorStoppedError, AskTimeoutError, ask, type ActorRef, type ReplyTo } from '../kernel/index.js';
import { UsersError, UsersUnavailableError } from './errors.js';
import type { Caller, PublicUsersPage, TokenSubject, UserChanges, UsersMsg } from './messages.js';
import { Secret } from './secret.js';
import { UserCache, type UserChangeFeed, type UserCacheOptions } from './user-cache.js';

export type { Caller, PublicUsersPage } from './messages.js';

/** The user behind a verified token, as stored right now (role changes apply at once). */
export interface AuthUser {
  id: string;
  email: string;
  name?: string;
  role: Role;
}

export type LoginResult = { ok: true; token: string; expiresAt: string; user: PublicUser } | { ok: false; reason: 'invalid_credentials' };

export type VerifyFailure = TokenFailure | 'missing' | 'unknown-user' | 'revoked';
export type VerifyResult = { ok: true; user: AuthUser } | { ok: false; reason: VerifyFailure };

export interface NewUser {
  email: string;
  password: string;
  role: Role;
  name?: string;
}

export interface UserPatch {
  email?: string;
  password?: string;
  /** Needed to change your own password. */
  currentPassword?: string;
  role?: Role;
  name?: string;
}

/**
 * Keeps a generated bootstrap password: prepared before the user is created (a failure stops
 * the bootstrap), then committed (resolves where it is, for the log line) or discarded.
 */
export type BootstrapPasswordStore = (email: string, password: string) => Promise<{ commit(): Promise<string>; discard(): Promise<void> }>;

export interface BootstrapOptions {
  adminEmail?: string;
  adminPassword?: string;
  /** Where a generated password goes (bin/: a 0600 file); never stdout, never the logger. */
  savePassword: BootstrapPasswordStore;
}

export type BootstrapResult = { created: false } | { created: true; email: string; generatedPassword: boolean };

export interface AuthService {
  /** Same answer for an unknown email and a wrong password. */
  login(email: string, password: string): Promise<LoginResult>;
  verify(token: string | undefined): Promise<VerifyResult>;
  listUsers(caller: Caller, page: { limit: number; offset: number }): Promise<PublicUsersPage>;
  getUser(caller: Caller, id: string): Promise<PublicUser>;
  createUser(caller: Caller, user: NewUser): Promise<PublicUser>;
  updateUser(caller: Caller, id: string, patch: UserPatch): Promise<PublicUser>;
  deleteUser(caller: Caller, id: string): Promise<void>;
  /** Ends every token of the caller issued so far (logout everywhere). */
  revokeTokens(caller: Caller): Promise<void>;
  /** Creates the first ADMIN when no user exists (see BootstrapOptions). */
  ensureBootstrapAdmin(options: BootstrapOptions): Promise<BootstrapResult>;
}

export interface AuthServiceOptions {
  users: ActorRef<UsersMsg>;
  secretKeyBase: string;
  tokenTtlMs: number;
  log: Logger;
  /** Per ask that does not hash a password. Default 5 s. */
  askTimeoutMs?: number;
  /**
   * Per ask that hashes (login, create, update, bootstrap): scrypt at N = 2^17 takes ~0.3 s
   * on an idle core and several seconds on a loaded one. Default 30 s.
   */
  hashTimeoutMs?: number;
  now?: () => number;
  /** Tells the other nodes' caches that a user changed (bin/: a cluster store topic). */
  changes?: UserChangeFeed;
  cache?: UserCacheOptions;
}

export const BOOTSTRAP_EMAIL = 'admin@localhost';

export function createAuthService(options: AuthServiceOptions): AuthService {
  const { users, secretKeyBase, tokenTtlMs, log } = options;
  const timeoutMs = options.askTimeoutMs ?? 5000;
  const hashTimeoutMs = options.hashTimeoutMs ?? Math.max(timeoutMs, 30_000);
  const now = options.now ?? Date.now;
  const cache = new UserCache({ ...options.cache, now });
  const changes = options.changes;
  // Another node's change: drop our copy. A failed subscribe leaves only the freshness limit.
  changes
    ?.subscribe((id) => cache.invalidate(id))
    .catch((err: unknown) => {
      log.warn({ err: { message: (err as Error).message } }, 'users: no change feed; cached users expire by age only');
    });

  /** After a change of user `id`: this node's copy goes at once, the others' through the feed. */
  async function changed<R>(id: string, write: Promise<R>): Promise<R> {
    const result = await write;
    cache.invalidate(id);
    await changes?.publish(id).catch((err: unknown) => {
      log.warn({ userId: id, err: { message: (err as Error).message } }, 'users: could not tell the other nodes about a change');
    });
    return result;
  }

  /** Asks the users actor; anything but a UsersError (timeout, stopped actor) is "unavailable". */
  async function call<R>(build: (replyTo: ReplyTo<R>) => UsersMsg, askTimeoutMs = timeoutMs): Promise<R> {
    try {
      return await ask<UsersMsg, R>(users, build, askTimeoutMs);
    } catch (err) {
      if (err instanceof UsersError) throw err;
      const error = err instanceof Error ? err : new Error(String(err));
      if (error instanceof AskTimeoutError || error instanceof ActorStoppedError) {
        log.warn({ err: { name: error.name, message: error.message } }, 'users actor did not answer');
        throw new UsersUnavailableError('users service', 'The users service did not answer in time; try again later.');
      }
      throw error;
    }
  }

  function changesOf(patch: UserPatch): UserChanges {
    const changes: UserChanges = {};
    if (patch.email !== undefined) changes.email = patch.email;
    if (patch.password !== undefined) changes.password = new Secret(patch.password);
    if (patch.currentPassword !== undefined) changes.currentPassword = new Secret(patch.currentPassword);
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.name !== undefined) changes.name = patch.name;
    return changes;
  }

  return {
    async login(email, password) {
      const subject = await call<TokenSubject | null>(
        (replyTo) => ({ type: 'authenticate', email, password: new Secret(password), replyTo }),
        hashTimeoutMs,
      );
      if (subject === null) return { ok: false, reason: 'invalid_credentials' };
      const { user, tokenVersion } = subject;
      const issuedAt = now();
      const token = signToken({ userId: user.id, role: user.role, tokenVersion }, { secretKeyBase, ttlMs: tokenTtlMs, now: issuedAt });
      return { ok: true, token, expiresAt: new Date(issuedAt + tokenTtlMs).toISOString(), user };
    },

    async verify(token) {
      if (token === undefined || token.length === 0) return { ok: false, reason: 'missing' };
      const checked = verifyToken(token, { secretKeyBase, now: now() });
      if (!checked.ok) return checked;
      const id = checked.claims.userId;
      const subject = await cache.get(id, () => call<TokenSubject | null>((replyTo) => ({ type: 'lookup', id, replyTo })));
      if (subject === null) return { ok: false, reason: 'unknown-user' };
      if (subject.tokenVersion !== checked.claims.ver) return { ok: false, reason: 'revoked' };
      const { user } = subject;
      return {
        ok: true,
        user: { id: user.id, email: user.email, role: user.role, ...(user.name !== undefined ? { name: user.name } : {}) },
      };
    },

    listUsers(caller, page) {
      return call((replyTo) => ({ type: 'list', caller, limit: page.limit, offset: page.offset, replyTo }));
    },

    getUser(caller, id) {
      return call((replyTo) => ({ type: 'get', caller, id, replyTo }));
    },

    createUser(caller, user) {
      return call(
        (replyTo) => ({
          type: 'create',
          caller,
          email: user.email,
          password: new Secret(user.password),
          role: user.role,
          ...(user.name !== undefined ? { name: user.name } : {}),
          replyTo,
        }),
        hashTimeoutMs,
      );
    },

    updateUser(caller, id, patch) {
      return changed(
        id,
        call<PublicUser>((replyTo) => ({ type: 'update', caller, id, changes: changesOf(patch), replyTo }), hashTimeoutMs),
      );
    },

    deleteUser(caller, id) {
      return changed(
        id,
        call<void>((replyTo) => ({ type: 'delete', caller, id, replyTo })),
      );
    },

    revokeTokens(caller) {
      return changed(
        caller.id,
        call<void>((replyTo) => ({ type: 'revoke-tokens', caller, replyTo })),
      );
    },

    async ensureBootstrapAdmin({ adminEmail, adminPassword, savePassword }) {
      const generated = adminEmail === undefined || adminPassword === undefined;
      const email = generated ? BOOTSTRAP_EMAIL : adminEmail;
      const password = generated ? randomBytes(18).toString('base64url') : adminPassword;
      const saving = generated ? await savePassword(email, password) : undefined;
      let created = false;
      try {
        ({ created } = await call<{ created: boolean }>(
          (replyTo) => ({ type: 'bootstrap', email, password: new Secret(password), replyTo }),
          hashTimeoutMs,
        ));
      } finally {
        if (!created) await saving?.discard();
      }
      if (!created) return { created: false };
      if (saving !== undefined) {
        const where = await saving.commit();
        log.warn({ email, file: where }, `created the first ADMIN with a generated password: read it in ${where}, then delete the file`);
      } else {
        log.info({ email }, 'created the first ADMIN from ADMIN_EMAIL');
      }
      return { created: true, email, generatedPassword: generated };
    },
  };
}
