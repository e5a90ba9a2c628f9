// Directory login for one node (LDAP_URL set): the LDAP client, the login the sessions route
// uses, and the AuthService that also accepts directory accounts' tokens. Without LDAP_URL
// the AuthService is returned unchanged and directory login is off.
import { acceptDirectoryTokens, createDirectoryLogin, type AuthService, type DirectoryLogin } from '../../actors/auth/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { Logger } from '../../domain/log.js';
import { LdapDirectory } from '../../directory/ldap-directory.js';

export interface DirectoryWiring {
  auth: AuthService;
  directoryLogin?: DirectoryLogin;
}

export function wireDirectoryLogin(config: NodeConfig, auth: AuthService, log: Logger): DirectoryWiring {
  if (config.ldap === undefined) return { auth };
  const directoryLog = log.child({ domain: 'auth', directory: config.ldap.url });
  directoryLog.info({ mode: config.ldap.mode.kind, groups: config.ldap.groupRoles.length }, 'directory login enabled');
  return {
    auth: acceptDirectoryTokens(auth, config.secretKeyBase),
    directoryLogin: createDirectoryLogin({
      directory: new LdapDirectory(config.ldap, directoryLog),
      groupRoles: config.ldap.groupRoles,
      secretKeyBase: config.secretKeyBase,
      tokenTtlMs: config.tokenTtlMs,
      log: directoryLog,
    }),
  };
}
