// Directory (LDAP) login: the pure rules. Escaping of user input put into DNs and filters
// (RFC 4514 / RFC 4515, so a username can never change the DN or the filter it lands in),
// the group → role mapping, and how a directory account is named inside Beamstack.
// The network side is directory/ldap-directory.ts; the flow is in docs/video.md
// ("Directory login (LDAP)").
import type { Role } from './user.js';

/** Tokens, audit entries and logs name a directory account `ldap:<username>` (lower-cased). */
export const DIRECTORY_ID_PREFIX = 'ldap:';

export function directoryUserId(username: string): string {
  return `${DIRECTORY_ID_PREFIX}${username.toLowerCase()}`;
}

export function isDirectoryUserId(id: string): boolean {
  return id.startsWith(DIRECTORY_ID_PREFIX);
}

/** The placeholder LDAP_BIND_DN and LDAP_SEARCH_FILTER carry. */
export const USERNAME_PLACEHOLDER = '{username}';

const hex = (char: string): string => [...Buffer.from(char, 'utf8')].map((byte) => `\\${byte.toString(16).padStart(2, '0')}`).join('');

/**
 * Escapes a value for an attribute value inside a DN (RFC 4514 §2.4): the special characters
 * get a backslash, control characters become \XX, a leading `#` or space and a trailing space
 * are escaped.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (const char of value) {
    if (/[\\,+"<>;=]/.test(char)) out += `\\${char}`;
    // eslint-disable-next-line no-control-regex -- RFC 4514 escapes control characters
    else if (/[\u0000-\u001f\u007f]/.test(char)) out += hex(char);
    else out += char;
  }
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Escapes a value for an LDAP search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL as \XX. */
export function escapeFilterValue(value: string): string {
  // eslint-disable-next-line no-control-regex -- RFC 4515 escapes NUL
  return value.replace(/[*()\\\u0000]/g, (char) => hex(char));
}

/** `template` with every `{username}` replaced by the escaped username. */
export function fillUsername(template: string, username: string, escape: (value: string) => string): string {
  return template.split(USERNAME_PLACEHOLDER).join(escape(username));
}

/**
 * A DN in a form fit for comparison: RDNs split at unescaped commas, attribute type and value
 * trimmed and lower-cased (group DNs from memberOf and from LDAP_GROUP_ROLES differ in case
 * and spacing, e.g. `CN=Supervisors, OU=Groups`).
 */
export function normalizeDn(dn: string): string {
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i += 1) {
    const char = dn[i]!;
    if (char === '\\' && i + 1 < dn.length) {
      current += char + dn[i + 1]!;
      i += 1;
    } else if (char === ',' || char === ';') {
      rdns.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  rdns.push(current);
  return rdns
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      if (eq < 0) return rdn.trim().toLowerCase();
      return `${rdn.slice(0, eq).trim().toLowerCase()}=${rdn
        .slice(eq + 1)
        .trim()
        .toLowerCase()}`;
    })
    .join(',');
}

export interface GroupRole {
  /** As configured; compared with normalizeDn. */
  groupDn: string;
  role: Role;
}

/**
 * Parses LDAP_GROUP_ROLES: `<group DN>=<ROLE>;<group DN>=<ROLE>…`. A DN itself contains `=`,
 * so each entry is split at its LAST `=`. Throws an Error naming the bad entry.
 */
export function parseGroupRoles(text: string): GroupRole[] {
  const entries = text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new Error('needs at least one "<group DN>=MANAGER|ADMIN" entry');
  return entries.map((entry) => {
    const eq = entry.lastIndexOf('=');
    const groupDn = eq > 0 ? entry.slice(0, eq).trim() : '';
    const role =
      eq > 0
        ? entry
            .slice(eq + 1)
            .trim()
            .toUpperCase()
        : '';
    if (!groupDn.includes('=')) throw new Error(`"${entry}" is not "<group DN>=<ROLE>"`);
    if (role !== 'MANAGER' && role !== 'ADMIN') throw new Error(`"${entry}": the role must be MANAGER or ADMIN, got "${role}"`);
    return { groupDn, role };
  });
}

/** The highest role any of `groups` maps to (ADMIN over MANAGER), or null when none is mapped. */
export function roleForGroups(groups: readonly string[], mapping: readonly GroupRole[]): Role | null {
  const member = new Set(groups.map(normalizeDn));
  let role: Role | null = null;
  for (const entry of mapping) {
    if (!member.has(normalizeDn(entry.groupDn))) continue;
    if (entry.role === 'ADMIN') return 'ADMIN';
    role = entry.role;
  }
  return role;
}

/** Usernames are free text for the directory, but never empty, huge or with control characters. */
export const DIRECTORY_USERNAME_PATTERN = '^[^\\u0000-\\u001f\\u007f]{1,256}$';
