// The pure rules of directory login: escaping (RFC 4514 / 4515), DN comparison, the
// LDAP_GROUP_ROLES format, group → role, and the LDAP_* configuration checks.
import { expect } from 'chai';
import { escapeDnValue, escapeFilterValue, fillUsername, normalizeDn, parseGroupRoles, roleForGroups } from '../../domain/auth/index.js';
import { ConfigError, loadConfig, loadLdapConfig } from '../../domain/config.js';

const BASE = { SECRET_KEY_BASE: 'x'.repeat(40) };
const SUPERVISORS = 'cn=supervisors,ou=groups,dc=example,dc=org';
const ADMINS = 'cn=admins,ou=groups,dc=example,dc=org';

describe('domain/auth/directory', () => {
  it('escapes DN special characters, control characters, a leading # or space and a trailing space', () => {
    expect(escapeDnValue('alice')).to.equal('alice');
    expect(escapeDnValue('a,b+c"d<e>f;g=h\\i')).to.equal('a\\,b\\+c\\"d\\<e\\>f\\;g\\=h\\\\i');
    expect(escapeDnValue('#x')).to.equal('\\#x');
    expect(escapeDnValue(' x ')).to.equal('\\ x\\ ');
    expect(escapeDnValue('a\u0000b\nc')).to.equal('a\\00b\\0ac');
    expect(escapeDnValue('Jürgen')).to.equal('Jürgen');
  });

  it('escapes filter characters so input is only ever a value', () => {
    expect(escapeFilterValue('*)(uid=*')).to.equal('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('a\\b\u0000')).to.equal('a\\5cb\\00');
    expect(fillUsername('(&(uid={username})(mail={username}))', 'a*', escapeFilterValue)).to.equal('(&(uid=a\\2a)(mail=a\\2a))');
  });

  it('compares DNs ignoring case and spaces around separators, keeping escaped commas', () => {
    expect(normalizeDn('CN=Supervisors, OU=Groups,DC=Example ,dc=org')).to.equal(SUPERVISORS);
    expect(normalizeDn('cn=a\\,b,dc=x')).to.equal('cn=a\\,b,dc=x');
    expect(normalizeDn('cn=a\\,b,dc=x')).to.not.equal(normalizeDn('cn=a,b,dc=x'));
  });

  it('parses LDAP_GROUP_ROLES splitting each entry at its last "="', () => {
    expect(parseGroupRoles(`${SUPERVISORS}=MANAGER; ${ADMINS}=admin;`)).to.deep.equal([
      { groupDn: SUPERVISORS, role: 'MANAGER' },
      { groupDn: ADMINS, role: 'ADMIN' },
    ]);
    expect(() => parseGroupRoles(`${SUPERVISORS}=OWNER`)).to.throw(/MANAGER or ADMIN/);
    expect(() => parseGroupRoles('supervisors=MANAGER')).to.throw(/<group DN>=<ROLE>/);
    expect(() => parseGroupRoles(' ; ')).to.throw(/at least one/);
  });

  it('gives the highest mapped role, or null for no mapped group', () => {
    const mapping = parseGroupRoles(`${SUPERVISORS}=MANAGER;${ADMINS}=ADMIN`);
    expect(roleForGroups(['CN=Supervisors,OU=Groups,DC=example,DC=org'], mapping)).to.equal('MANAGER');
    expect(roleForGroups([SUPERVISORS, ADMINS], mapping)).to.equal('ADMIN');
    expect(roleForGroups(['cn=operators,ou=groups,dc=example,dc=org'], mapping)).to.equal(null);
    expect(roleForGroups([], mapping)).to.equal(null);
  });
});

describe('domain/config: LDAP_*', () => {
  const ldap = (env: Record<string, string>) => loadLdapConfig({ ...BASE, ...env });
  const failsOn = (env: Record<string, string>, variable: string, message: RegExp) => {
    try {
      loadConfig({ ...BASE, ...env });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).variable).to.equal(variable);
      expect((err as Error).message).to.match(message);
      return;
    }
    expect.fail(`expected a ConfigError on ${variable}`);
  };
  const roles = `${SUPERVISORS}=MANAGER`;

  it('is off without LDAP_URL', () => {
    expect(loadConfig(BASE).ldap).to.equal(undefined);
  });

  it('reads the template mode and the search mode', () => {
    expect(ldap({ LDAP_URL: 'ldap://dc1.corp:389', LDAP_BIND_DN: '{username}@corp.example', LDAP_GROUP_ROLES: roles })).to.deep.equal({
      url: 'ldap://dc1.corp:389',
      mode: { kind: 'template', bindDnTemplate: '{username}@corp.example' },
      groupRoles: [{ groupDn: SUPERVISORS, role: 'MANAGER' }],
      timeoutMs: 5000,
    });
    const search = ldap({
      LDAP_URL: 'ldaps://dc1.corp',
      LDAP_SEARCH_BASE: 'dc=corp',
      LDAP_SERVICE_DN: 'cn=svc,dc=corp',
      LDAP_SERVICE_PASSWORD: ' pw ',
      LDAP_GROUP_ROLES: roles,
      LDAP_TIMEOUT_MS: '2000',
    });
    expect(search?.mode).to.deep.equal({
      kind: 'search',
      searchBase: 'dc=corp',
      searchFilter: '(uid={username})',
      serviceDn: 'cn=svc,dc=corp',
      servicePassword: ' pw ',
    });
    expect(search?.timeoutMs).to.equal(2000);
  });

  it('stops on bad or missing values, naming the variable', () => {
    failsOn({ LDAP_BIND_DN: 'uid={username}' }, 'LDAP_URL', /required when LDAP_BIND_DN/);
    failsOn({ LDAP_URL: 'http://dc1', LDAP_BIND_DN: 'uid={username}', LDAP_GROUP_ROLES: roles }, 'LDAP_URL', /ldap:\/\//);
    failsOn({ LDAP_URL: 'ldap://dc1', LDAP_GROUP_ROLES: roles }, 'LDAP_BIND_DN', /LDAP_SEARCH_BASE/);
    failsOn({ LDAP_URL: 'ldap://dc1', LDAP_BIND_DN: 'uid=x', LDAP_GROUP_ROLES: roles }, 'LDAP_BIND_DN', /\{username\}/);
    failsOn(
      { LDAP_URL: 'ldap://dc1', LDAP_BIND_DN: 'uid={username}', LDAP_SEARCH_BASE: 'dc=x', LDAP_GROUP_ROLES: roles },
      'LDAP_BIND_DN',
      /not both/,
    );
    failsOn({ LDAP_URL: 'ldap://dc1', LDAP_SEARCH_BASE: 'dc=x', LDAP_GROUP_ROLES: roles }, 'LDAP_SERVICE_DN', /required/);
    failsOn(
      { LDAP_URL: 'ldap://dc1', LDAP_SEARCH_BASE: 'dc=x', LDAP_SERVICE_DN: 'cn=s', LDAP_GROUP_ROLES: roles },
      'LDAP_SERVICE_PASSWORD',
      /required/,
    );
    failsOn(
      {
        LDAP_URL: 'ldap://dc1',
        LDAP_SEARCH_BASE: 'dc=x',
        LDAP_SEARCH_FILTER: 'uid={username}',
        LDAP_SERVICE_DN: 'cn=s',
        LDAP_SERVICE_PASSWORD: 'p',
        LDAP_GROUP_ROLES: roles,
      },
      'LDAP_SEARCH_FILTER',
      /parentheses/,
    );
    failsOn({ LDAP_URL: 'ldap://dc1', LDAP_BIND_DN: 'uid={username}' }, 'LDAP_GROUP_ROLES', /required/);
    failsOn(
      { LDAP_URL: 'ldap://dc1', LDAP_BIND_DN: 'uid={username}', LDAP_GROUP_ROLES: `${SUPERVISORS}=BOSS` },
      'LDAP_GROUP_ROLES',
      /MANAGER or ADMIN/,
    );
    failsOn(
      { LDAP_URL: 'ldap://dc1', LDAP_BIND_DN: 'uid={username}', LDAP_GROUP_ROLES: roles, LDAP_TIMEOUT_MS: 'soon' },
      'LDAP_TIMEOUT_MS',
      /whole number/,
    );
  });
});
