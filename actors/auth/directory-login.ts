// Directory login next to the local users (docs/video.md "Directory login (LDAP)").
// A directory account is checked against the DirectoryPort, its groups are mapped to a role
// (LDAP_GROUP_ROLES), and it gets the same kind of signed token as a local user, with the
// user id `ldap:<username>`. Nothing is stored: the token carries the role, so a change in
// the directory (removed from the group, disabled) applies at the next login, at the latest
// after TOKEN_TTL.
import {
  directoryUserId,
  isDirectoryUserId,
  roleForGroups,
  signToken,
  verifyToken,
  type GroupRole,
  type PublicUser,
} from '../../domain/auth/index.js';
import type { Logger } from '../../domain/log.js';
import type { DirectoryPort } from '../../domain/ports/directory.js';
import type { AuthService, LoginResult } from './service.js';

export type DirectoryLoginResult = LoginResult | { ok: false; reason: 'no_role' };

export interface DirectoryLogin {
  /**
   * invalid_credentials for an unknown username and a wrong password alike; no_role when the
   * password is right but the account is in no mapped group. Throws DirectoryUnavailableError
   * (code UNAVAILABLE, HTTP 503) when the directory cannot answer.
   */
  login(username: string, password: string): Promise<DirectoryLoginResult>;
}

export interface DirectoryLoginOptions {
  directory: DirectoryPort;
  groupRoles: GroupRole[];
  secretKeyBase: string;
  tokenTtlMs: number;
  log: Logger;
  now?: () => number;
}

export function createDirectoryLogin(options: DirectoryLoginOptions): DirectoryLogin {
  const { directory, groupRoles, secretKeyBase, tokenTtlMs, log } = options;
  const now = options.now ?? Date.now;
  return {
    async login(username, password) {
      const id = directoryUserId(username);
      const account = await directory.authenticate(username, password);
      if (account === null) {
        // Not naming the account: people type their password into the username field.
        log.info('directory login refused: unknown user or wrong password');
        return { ok: false, reason: 'invalid_credentials' };
      }
      const role = roleForGroups(account.groups, groupRoles);
      if (role === null) {
        log.info({ user: id, groups: account.groups.length }, 'directory login refused: in no group of LDAP_GROUP_ROLES');
        return { ok: false, reason: 'no_role' };
      }
      const issuedAt = now();
      const at = new Date(issuedAt).toISOString();
      const token = signToken({ userId: id, role }, { secretKeyBase, ttlMs: tokenTtlMs, now: issuedAt });
      // Directory accounts have no e-mail here: `email` carries the account id, so every place
      // that shows or logs a user's e-mail (chat name, audit) names them unambiguously.
      const user: PublicUser = {
        id,
        email: id,
        ...(account.displayName !== undefined ? { name: account.displayName } : {}),
        role,
        createdAt: at,
        updatedAt: at,
        version: 0,
      };
      log.info({ user: id, role }, 'directory login');
      return { ok: true, token, expiresAt: new Date(issuedAt + tokenTtlMs).toISOString(), user };
    },
  };
}

/**
 * `auth` that also accepts the tokens of directory accounts: they have no stored user, so the
 * signed claims are the whole truth (id and role). Every other token goes to `auth` as before.
 */
export function acceptDirectoryTokens(auth: AuthService, secretKeyBase: string, now: () => number = Date.now): AuthService {
  return {
    ...auth,
    async verify(token) {
      if (token !== undefined && token.length > 0) {
        const checked = verifyToken(token, { secretKeyBase, now: now() });
        if (checked.ok && isDirectoryUserId(checked.claims.userId)) {
          const { userId, role } = checked.claims;
          return { ok: true, user: { id: userId, email: userId, role } };
        }
      }
      return auth.verify(token);
    },
  };
}
