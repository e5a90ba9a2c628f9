// The DirectoryPort over a real LDAP server (OpenLDAP, Active Directory) with `ldapts`.
// One short-lived connection per login: bind (template mode: as the user; search mode: as the
// service account, find the user's entry, then bind as it), then read the account's groups.
// Groups come from two places, so directories with and without a memberOf attribute work:
// the entry's `memberOf`, and each mapped group asked whether it lists the DN as `member` /
// `uniqueMember` (plain slapd has no memberOf). docs/video.md "Directory login (LDAP)".
import { Client, InvalidCredentialsError, NoSuchObjectError, InsufficientAccessError, ResultCodeError, type Entry } from 'ldapts';
import { escapeDnValue, escapeFilterValue, fillUsername, normalizeDn, type GroupRole } from '../domain/auth/directory.js';
import type { LdapConfig } from '../domain/config.js';
import type { Logger } from '../domain/log.js';
import { DirectoryUnavailableError, type DirectoryAccount, type DirectoryPort } from '../domain/ports/directory.js';

const ACCOUNT_ATTRIBUTES = ['memberOf', 'displayName', 'cn'];

function values(entry: Entry | undefined, attribute: string): string[] {
  if (entry === undefined) return [];
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value));
}

/** The reason a failure is logged with (never the password, never the raw bind DN of a user). */
function reasonOf(err: unknown): string {
  if (err instanceof ResultCodeError) return `${err.name} (LDAP result ${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export class LdapDirectory implements DirectoryPort {
  private readonly mappedGroups: string[];

  constructor(
    private readonly config: LdapConfig,
    private readonly log: Logger,
  ) {
    this.mappedGroups = [...new Set(config.groupRoles.map((entry: GroupRole) => entry.groupDn))];
  }

  async authenticate(username: string, password: string): Promise<DirectoryAccount | null> {
    // An empty password would be an unauthenticated bind, which LDAP servers answer "success".
    if (username.length === 0 || password.length === 0) return null;
    const client = new Client({
      url: this.config.url,
      timeout: this.config.timeoutMs,
      connectTimeout: this.config.timeoutMs,
      // Template mode may build a UPN (`{username}@corp.example`) or `CORP\{username}`, not a DN.
      strictDN: false,
    });
    try {
      return this.config.mode.kind === 'template'
        ? await this.viaTemplate(client, this.config.mode.bindDnTemplate, username, password)
        : await this.viaSearch(client, this.config.mode, username, password);
    } catch (err) {
      if (err instanceof DirectoryUnavailableError) throw err;
      this.log.warn({ url: this.config.url, reason: reasonOf(err) }, 'directory login: the directory did not answer or failed');
      throw new DirectoryUnavailableError();
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private async viaTemplate(client: Client, template: string, username: string, password: string): Promise<DirectoryAccount | null> {
    const bindDn = fillUsername(template, username, escapeDnValue);
    if (!(await this.bindAsUser(client, bindDn, password))) return null;
    // Read our own entry (AD answers a UPN bind; the entry's DN is what groups list).
    const self = await this.readOwnEntry(client, bindDn);
    const dn = self?.dn ?? bindDn;
    return this.account(client, dn, self);
  }

  private async viaSearch(
    client: Client,
    mode: Extract<LdapConfig['mode'], { kind: 'search' }>,
    username: string,
    password: string,
  ): Promise<DirectoryAccount | null> {
    try {
      await client.bind(mode.serviceDn, mode.servicePassword);
    } catch (err) {
      if (err instanceof InvalidCredentialsError) {
        this.log.error({ serviceDn: mode.serviceDn }, 'directory login: the directory refused LDAP_SERVICE_DN / LDAP_SERVICE_PASSWORD');
        throw new DirectoryUnavailableError(
          'The directory (LDAP) refused the service account; ask an administrator to check LDAP_SERVICE_DN.',
        );
      }
      throw err;
    }
    const filter = fillUsername(mode.searchFilter, username, escapeFilterValue);
    const { searchEntries } = await client.search(mode.searchBase, { scope: 'sub', filter, attributes: ACCOUNT_ATTRIBUTES });
    if (searchEntries.length !== 1) {
      if (searchEntries.length > 1)
        this.log.warn({ matches: searchEntries.length }, 'directory login: LDAP_SEARCH_FILTER matched several entries; refused');
      return null;
    }
    const entry = searchEntries[0]!;
    // Groups are read while still bound as the service account (users may not read groups).
    const account = await this.account(client, entry.dn, entry);
    return (await this.bindAsUser(client, entry.dn, password)) ? account : null;
  }

  /** False for a wrong password or an unknown DN (both are "invalid credentials" in LDAP). */
  private async bindAsUser(client: Client, dn: string, password: string): Promise<boolean> {
    try {
      await client.bind(dn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      throw err;
    }
  }

  private async readOwnEntry(client: Client, dn: string): Promise<Entry | undefined> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ACCOUNT_ATTRIBUTES });
      return searchEntries[0];
    } catch (err) {
      // Not a DN (UPN bind) or not readable by its owner: groups then come from the group search.
      if (err instanceof ResultCodeError) return undefined;
      throw err;
    }
  }

  private async account(client: Client, dn: string, entry: Entry | undefined): Promise<DirectoryAccount> {
    const groups = new Map<string, string>();
    for (const group of values(entry, 'memberOf')) groups.set(normalizeDn(group), group);
    for (const group of await this.groupsListing(client, dn)) groups.set(normalizeDn(group), group);
    const displayName = values(entry, 'displayName')[0] ?? values(entry, 'cn')[0];
    return { dn, groups: [...groups.values()], ...(displayName !== undefined ? { displayName } : {}) };
  }

  /** The mapped groups whose entry lists `dn` as member or uniqueMember. */
  private async groupsListing(client: Client, dn: string): Promise<string[]> {
    const escaped = escapeFilterValue(dn);
    const filter = `(|(member=${escaped})(uniqueMember=${escaped}))`;
    const found: string[] = [];
    for (const group of this.mappedGroups) {
      try {
        const { searchEntries } = await client.search(group, { scope: 'base', filter, attributes: ['1.1'] });
        if (searchEntries.length > 0) found.push(group);
      } catch (err) {
        // A mapped group that does not exist (or that we may not read) lists nobody.
        if (err instanceof NoSuchObjectError || err instanceof InsufficientAccessError) continue;
        throw err;
      }
    }
    return found;
  }
}
