// The corporate directory (LDAP / Active Directory) as the auth feature sees it: check a
// username and password, and say which groups the account is in. directory/ldap-directory.ts
// implements it over a real LDAP server; tests may pass fakes. Lives in domain/ so actors
// depend on the shape without importing directory/.

export interface DirectoryAccount {
  /** The account's entry, e.g. `uid=alice,ou=people,dc=example,dc=org`. */
  dn: string;
  /** DNs of the groups the account belongs to (memberOf and/or groups listing it as member). */
  groups: string[];
  /** `displayName` or `cn` of the entry, when the directory lets us read it. */
  displayName?: string;
}

export interface DirectoryPort {
  /**
   * The account when `password` is right; null for an unknown username and a wrong password
   * alike (the caller cannot tell them apart). An empty password is always null, never an
   * anonymous bind. Throws DirectoryUnavailableError when the directory cannot answer.
   */
  authenticate(username: string, password: string): Promise<DirectoryAccount | null>;
}

/** The directory is down, too slow, or refused our service account: HTTP 503. */
export class DirectoryUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message = 'The directory (LDAP) is unavailable; try again later.') {
    super(message);
    this.name = 'DirectoryUnavailableError';
  }
}
