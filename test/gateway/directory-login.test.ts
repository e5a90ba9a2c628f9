// Directory login (POST /api/v1/sessions { username, password }) in the real admin server
// against real OpenLDAP servers (Debian slapd) the test starts: bind-DN template and
// search-then-bind, group → role mapping through group search (plain slapd) and through
// memberOf (memberof overlay, group members hidden), refusals, injection, directory down.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import { Client } from 'ldapts';
import type { LdapConfig } from '../../domain/config.js';
import { silentLogger } from '../../domain/log.js';
import { LdapDirectory } from '../../directory/ldap-directory.js';
import {
  ADMINS_DN,
  GROUP_ROLES,
  PEOPLE,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  SUPERVISORS_DN,
  personDn,
  startSlapd,
  type TestSlapd,
} from '../support/slapd.js';
import { parseGroupRoles } from '../../domain/auth/index.js';
import { startHarness, type Harness } from './support/harness.js';

const groupRoles = parseGroupRoles(GROUP_ROLES);

function templateConfig(slapd: TestSlapd): LdapConfig {
  return { url: slapd.url, mode: { kind: 'template', bindDnTemplate: `uid={username},${PEOPLE_DN}` }, groupRoles, timeoutMs: 3000 };
}

function searchConfig(slapd: TestSlapd, servicePassword = SERVICE_PASSWORD): LdapConfig {
  return {
    url: slapd.url,
    mode: {
      kind: 'search',
      searchBase: PEOPLE_DN,
      searchFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
      serviceDn: SERVICE_DN,
      servicePassword,
    },
    groupRoles,
    timeoutMs: 3000,
  };
}

describe('directory login against a real slapd @integration', function () {
  this.timeout(30_000);
  /** Plain slapd: no memberOf; groups found by searching `member`. */
  let plain: TestSlapd;
  /** memberof overlay with groups' `member` hidden: only memberOf tells. */
  let overlay: TestSlapd;
  let h: Harness | undefined;

  before(async function () {
    this.timeout(60_000);
    [plain, overlay] = await Promise.all([startSlapd(), startSlapd({ memberOf: true, hideGroupMembers: true })]);
  });
  after(async () => {
    await Promise.all([plain?.dispose(), overlay?.dispose()]);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${h?.logText().slice(-4000)}\n`);
    await h?.close();
    h = undefined;
  });

  const start = async (ldap: LdapConfig | undefined, loginLimit = { max: 50, clientMax: 50, backoffMs: 60_000 }) => {
    h = await startHarness({ trustProxy: ['127.0.0.1'], loginLimit, ...(ldap !== undefined ? { ldap } : {}) });
    await h.seedUser('local@example.test', 'local-password-1', 'ADMIN');
    return h;
  };
  const login = (body: Record<string, unknown>, ip = '10.1.0.1') =>
    h!.request('POST', '/api/v1/sessions', { body, headers: { 'x-real-ip': ip } });

  async function expectRole(username: string, password: string, role: 'MANAGER' | 'ADMIN', name?: string): Promise<string> {
    const res = await login({ username, password });
    expect(res.status, res.text).to.equal(200);
    expect(res.body['user']).to.include({ id: `ldap:${username.toLowerCase()}`, email: `ldap:${username.toLowerCase()}`, role });
    if (name !== undefined) expect(res.body['user'].name).to.equal(name);
    const token = res.body['token'] as string;
    // The token works, with the role from the directory.
    expect((await h!.request('GET', '/api/v1/cluster/nodes', { token })).status).to.equal(200);
    expect((await h!.request('GET', '/api/v1/users', { token })).status).to.equal(role === 'ADMIN' ? 200 : 403);
    return token;
  }

  async function expectSameRefusal(...attempts: Array<Record<string, unknown>>): Promise<void> {
    const answers = [];
    for (const body of attempts) answers.push(await login(body));
    for (const res of answers) {
      expect(res.status, JSON.stringify(res.body)).to.equal(401);
      expect(res.body).to.deep.equal({ error: 'unauthorized', message: 'Wrong username or password.' });
    }
  }

  describe('bind DN template (LDAP_BIND_DN), groups by member search', () => {
    it('maps supervisors to MANAGER and video-admins to ADMIN; local users still log in', async () => {
      await start(templateConfig(plain));
      await expectRole('alice', PEOPLE.alice!.password, 'MANAGER', 'Alice Supervisor');
      await expectRole('bob', PEOPLE.bob!.password, 'ADMIN', 'Bob Admin');
      const local = await login({ email: 'local@example.test', password: 'local-password-1' });
      expect(local.status).to.equal(200);
      expect(local.body['user']).to.include({ email: 'local@example.test', role: 'ADMIN' });
    });

    it('wrong password and unknown user get the same 401; no mapped group is refused', async () => {
      await start(templateConfig(plain));
      await expectSameRefusal(
        { username: 'alice', password: 'wrong-password' },
        { username: 'nobody', password: 'wrong-password' },
        { username: 'alice', password: ' ' },
      );
      const carol = await login({ username: 'carol', password: PEOPLE.carol!.password });
      expect(carol.status).to.equal(401);
      expect(carol.body['message']).to.match(/no group allowed/);
    });

    it('escapes DN special characters: a username cannot point the bind at another entry', async () => {
      await start(templateConfig(plain));
      const tricky = PEOPLE.tricky!;
      await expectRole(tricky.uid, tricky.password, 'MANAGER', 'Tricky Name');
      await expectSameRefusal(
        // Would bind as alice if `,` were not escaped.
        { username: `alice,${PEOPLE_DN}`, password: PEOPLE.alice!.password },
        { username: 'alice+cn=x', password: PEOPLE.alice!.password },
        { username: '*', password: PEOPLE.alice!.password },
      );
      // Surrounding spaces are not part of a name (for the directory either): the same account.
      const spaced = await login({ username: ' Alice ', password: PEOPLE.alice!.password });
      expect(spaced.body['user']?.id).to.equal('ldap:alice');
    });
  });

  describe('search then bind (LDAP_SEARCH_BASE + LDAP_SEARCH_FILTER)', () => {
    it('maps groups to roles with the service account finding the entry', async () => {
      await start(searchConfig(plain));
      await expectRole('alice', PEOPLE.alice!.password, 'MANAGER');
      await expectRole('BOB', PEOPLE.bob!.password, 'ADMIN');
    });

    it('escapes filter characters: wildcards and filter injection match nobody', async () => {
      await start(searchConfig(plain));
      await expectRole(PEOPLE.tricky!.uid, PEOPLE.tricky!.password, 'MANAGER');
      await expectSameRefusal(
        { username: '*', password: PEOPLE.alice!.password },
        { username: 'a*', password: PEOPLE.alice!.password },
        { username: 'alice)(uid=*', password: PEOPLE.alice!.password },
        { username: '*)(|(uid=*', password: PEOPLE.alice!.password },
        { username: 'alice\\', password: PEOPLE.alice!.password },
        { username: 'nobody', password: 'x' },
        { username: 'alice', password: 'wrong-password' },
      );
      const carol = await login({ username: 'carol', password: PEOPLE.carol!.password });
      expect(carol.status).to.equal(401);
      expect(carol.body['message']).to.match(/no group allowed/);
    });

    it('reads memberOf when the directory has it (group members hidden from us)', async () => {
      // Prove the setup: the service account cannot see who is in a group.
      const client = new Client({ url: overlay.url });
      try {
        await client.bind(SERVICE_DN, SERVICE_PASSWORD);
        const { searchEntries } = await client.search(SUPERVISORS_DN, { scope: 'base', filter: `(member=${personDn('alice')})` });
        expect(searchEntries).to.have.length(0);
        const alice = await client.search(personDn('alice'), { scope: 'base', attributes: ['memberOf'] });
        expect(alice.searchEntries[0]?.['memberOf']).to.equal(SUPERVISORS_DN);
      } finally {
        await client.unbind();
      }
      await start(searchConfig(overlay));
      await expectRole('alice', PEOPLE.alice!.password, 'MANAGER');
      await expectRole('bob', PEOPLE.bob!.password, 'ADMIN');
      expect(groupRoles.map((g) => g.groupDn)).to.deep.equal([SUPERVISORS_DN, ADMINS_DN]);
    });

    it('a service account the directory refuses is 503, not "wrong password"', async () => {
      await start(searchConfig(plain, 'not-the-service-password'));
      const res = await login({ username: 'alice', password: PEOPLE.alice!.password });
      expect(res.status).to.equal(503);
      expect(res.body['message']).to.match(/service account/);
    });
  });

  it('bad bodies are 400: empty password, both or neither of email/username, control characters', async () => {
    await start(templateConfig(plain));
    for (const body of [
      { username: 'alice', password: '' },
      { username: 'alice' },
      { email: 'local@example.test', username: 'alice', password: 'x' },
      { password: 'x' },
      { username: 'ali\u0000ce', password: 'x' },
      { username: '', password: 'x' },
      { username: '   ', password: 'x' },
      { username: 'x'.repeat(300), password: 'x' },
    ]) {
      const res = await login(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body['error']).to.be.oneOf(['bad_request', 'validation_failed']);
    }
  });

  it('the directory client never binds with an empty password (that would be an anonymous bind)', async () => {
    const directory = new LdapDirectory(templateConfig(plain), silentLogger);
    expect(await directory.authenticate('alice', '')).to.equal(null);
    expect(await directory.authenticate('', PEOPLE.alice!.password)).to.equal(null);
    expect((await directory.authenticate('alice', PEOPLE.alice!.password))?.dn).to.equal(personDn('alice'));
  });

  it('without LDAP_URL a username login is 400 and says so', async () => {
    await start(undefined);
    const res = await login({ username: 'alice', password: PEOPLE.alice!.password });
    expect(res.status).to.equal(400);
    expect(res.body['message']).to.match(/Directory login is not configured/);
  });

  it('limits failed directory logins per username and client (429)', async () => {
    await start(templateConfig(plain), { max: 2, clientMax: 50, backoffMs: 60_000 });
    for (let i = 0; i < 2; i += 1) expect((await login({ username: 'Alice', password: 'bad' }, '10.2.0.1')).status).to.equal(401);
    expect((await login({ username: 'alice', password: PEOPLE.alice!.password }, '10.2.0.1')).status).to.equal(429);
    // Another account from that client, and that account from another client, are not affected.
    expect((await login({ username: 'bob', password: PEOPLE.bob!.password }, '10.2.0.1')).status).to.equal(200);
    expect((await login({ username: 'alice', password: PEOPLE.alice!.password }, '10.2.0.2')).status).to.equal(200);
  });

  it('a directory that accepts connections but never answers is 503 after LDAP_TIMEOUT_MS', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      await start({ ...templateConfig(plain), url: `ldap://127.0.0.1:${port}`, timeoutMs: 500 });
      const started = Date.now();
      const res = await login({ username: 'alice', password: PEOPLE.alice!.password });
      expect(res.status).to.equal(503);
      expect(Date.now() - started).to.be.within(400, 5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('directory down is 503 naming the directory; back up, logins work again; no password in the logs', async () => {
    const standalone = await startSlapd();
    try {
      await start(templateConfig(standalone));
      await expectRole('alice', PEOPLE.alice!.password, 'MANAGER');
      await standalone.stop();
      const down = await login({ username: 'alice', password: PEOPLE.alice!.password });
      expect(down.status).to.equal(503);
      expect(down.body).to.deep.equal({ error: 'service_unavailable', message: 'The directory (LDAP) is unavailable; try again later.' });
      await standalone.start();
      await expectRole('alice', PEOPLE.alice!.password, 'MANAGER');
      // A password typed into the username field must not end up in the log either.
      expect((await login({ username: 'Typed-Password-123', password: 'x' })).status).to.equal(401);
      const logs = h!.logText();
      expect(logs).to.contain('ldap:alice');
      for (const secret of [PEOPLE.alice!.password, PEOPLE.bob!.password, SERVICE_PASSWORD, 'Typed-Password-123', 'typed-password-123']) {
        expect(logs).to.not.contain(secret);
      }
    } finally {
      await standalone.dispose();
    }
  });
});
