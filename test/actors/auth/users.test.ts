import { expect } from 'chai';
import { inspect } from 'node:util';
import { createAuthService, Secret, startAuth, UsersError, usersSpec, type UsersMsg, type UsersPort } from '../../../actors/auth/index.js';
import { DEFAULT_RESTART_POLICY, startActorSystem, type ActorRef, type ActorSystem } from '../../../actors/kernel/index.js';
import { silentLogger } from '../../../domain/log.js';
import type { UsersRepository } from '../../../persistence/users.js';
import { MemoryUsers } from '../../gateway/support/memory-users.js';

// Compile-time: the persistence repository satisfies the port as is (no adapter in bin/).
const _repositoryIsAPort = (repo: UsersRepository): UsersPort => repo;
void _repositoryIsAPort;

const SECRET = 'unit-test-secret-key-base-0123456789-abcdefghij';

describe('actors/auth: users actor and AuthService', () => {
  let system: ActorSystem;
  beforeEach(() => {
    system = startActorSystem({ log: silentLogger });
  });
  afterEach(async () => {
    await system.stop();
  });

  it('Secret never prints its value', () => {
    const secret = new Secret('hunter2-password');
    const message = { type: 'authenticate', password: secret };
    expect(JSON.stringify(message)).to.not.contain('hunter2');
    expect(inspect(message, { depth: 5, showHidden: true })).to.not.contain('hunter2');
    expect(String(secret)).to.not.contain('hunter2');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a template literal makes of a Secret is the point
    expect(`${secret}`).to.not.contain('hunter2');
    expect(secret.reveal()).to.equal('hunter2-password');
  });

  it('answers "unavailable" (users service) when the actor does not answer in time', async () => {
    // An actor that never replies stands in for a stuck one.
    const stuck: ActorRef<UsersMsg> = system.spawn<null, UsersMsg>({
      name: 'stuck-users',
      init: () => null,
      handle: (state) => state,
    });
    const auth = createAuthService({ users: stuck, secretKeyBase: SECRET, tokenTtlMs: 60_000, log: silentLogger, askTimeoutMs: 50 });
    let failure: unknown;
    try {
      await auth.getUser({ id: 'a', role: 'ADMIN' }, 'a');
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(UsersError);
    expect((failure as UsersError).code).to.equal('UNAVAILABLE');
    expect((failure as UsersError).message).to.contain('users service');
  });

  it('a port bug (non-coded error) is reported as such, not as a user error, and the actor keeps serving', async () => {
    const users = new MemoryUsers();
    const broken: UsersPort = Object.assign(Object.create(users) as MemoryUsers, {
      list: async () => {
        throw new TypeError('bug in list');
      },
    });
    const { service } = startAuth(system, { users: broken, secretKeyBase: SECRET, tokenTtlMs: 60_000, log: silentLogger });
    let failure: unknown;
    try {
      await service.listUsers({ id: 'a', role: 'ADMIN' }, { limit: 10, offset: 0 });
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(TypeError);
    await users.create({ email: 'x@example.com', role: 'ADMIN', passwordHash: 'scrypt$bad' });
    const user = users.snapshot()[0]!;
    expect((await service.getUser({ id: user.id, role: 'MANAGER' }, user.id)).email).to.equal('x@example.com');
  });

  it('rejects a login against a corrupt stored hash as invalid (no crash)', async () => {
    const users = new MemoryUsers();
    await users.create({ email: 'x@example.com', role: 'ADMIN', passwordHash: 'not-a-hash' });
    const { service } = startAuth(system, { users, secretKeyBase: SECRET, tokenTtlMs: 60_000, log: silentLogger });
    expect(await service.login('x@example.com', 'whatever-password')).to.deep.equal({ ok: false, reason: 'invalid_credentials' });
  });

  it('spec is named "users" and has an explicit restart policy', () => {
    const spec = usersSpec({ users: new MemoryUsers() });
    expect(spec.name).to.equal('users');
    expect(spec.restart).to.deep.equal(DEFAULT_RESTART_POLICY);
    expect(usersSpec({ users: new MemoryUsers(), restart: { maxRestarts: 1, withinMs: 10 } }).restart).to.deep.equal({
      maxRestarts: 1,
      withinMs: 10,
    });
  });
});
