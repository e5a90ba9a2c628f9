// The users actor: owns user management over a UsersPort. Reads (login checks, lookups,
// lists) run detached so a slow store or a scrypt hash never holds the mailbox; writes are
// handled one at a time, so bootstrap's "no user yet" check and its insert do not interleave
// on a node (across nodes the store's unique email index decides).
import {
  dummyPasswordHash,
  hashPassword,
  needsRehash,
  normalizeEmail,
  passwordPolicyProblem,
  toPublicUser,
  verifyPassword,
  DEFAULT_SCRYPT_PARAMS,
  type PublicUser,
  type ScryptParams,
  type User,
} from '../../domain/auth/index.js';
import type { Logger } from '../../domain/log.js';
import { DEFAULT_RESTART_POLICY, type ActorSpec, type ReplyTo, type RestartPolicy } from '../kernel/index.js';
import { classifyPortError, userNotFound, UsersError } from './errors.js';
import type { Caller, TokenSubject, UserChanges, UsersMsg } from './messages.js';
import type { UserRecordChanges, UsersPort } from './ports.js';
import { checkDelete, checkManageUsers, checkRead, checkUpdate } from './rules.js';

export const USERS_ACTOR_NAME = 'users';

export interface UsersDeps {
  users: UsersPort;
  /** New hashes use these; older hashes are rehashed at login. Default: DEFAULT_SCRYPT_PARAMS. */
  scrypt?: ScryptParams;
  restart?: RestartPolicy;
}

type ErrorContext = { email?: string; id?: string };

/** Runs `work` and answers `replyTo`; expected failures become UsersErrors, others are logged. */
async function answer<R>(replyTo: ReplyTo<R>, log: Logger, context: ErrorContext, work: () => Promise<R>): Promise<void> {
  let result: R;
  try {
    result = await work();
  } catch (err) {
    const known = classifyPortError(err, context);
    if (known !== undefined) {
      replyTo.fail(known);
      return;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    log.error({ err: { name: error.name, message: error.message } }, 'users: unexpected failure');
    replyTo.fail(error);
    return;
  }
  replyTo.reply(result);
}

export function usersSpec(deps: UsersDeps): ActorSpec<null, UsersMsg> {
  const { users } = deps;
  const scrypt = deps.scrypt ?? DEFAULT_SCRYPT_PARAMS;

  async function mustFind(id: string): Promise<User> {
    const user = await users.findById(id);
    if (user === null) throw userNotFound(id);
    return user;
  }

  function subjectOf(user: User): TokenSubject {
    return { user: toPublicUser(user), tokenVersion: user.tokenVersion ?? 0 };
  }

  /** A new password: hashed, once it passes the policy (docs/security.md "Password policy"). */
  async function newPasswordHash(password: string): Promise<string> {
    const problem = passwordPolicyProblem(password);
    if (problem !== undefined) throw new UsersError('INVALID', problem);
    return hashPassword(password, scrypt);
  }

  async function authenticate(email: string, password: string, log: Logger): Promise<TokenSubject | null> {
    const user = await users.findByEmail(normalizeEmail(email));
    if (user === null) {
      // Same scrypt work as a real check, so response time does not reveal unknown emails.
      await verifyPassword(password, await dummyPasswordHash(scrypt));
      return null;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return null;
    if (!needsRehash(user.passwordHash, scrypt)) return subjectOf(user);
    // The hash predates the current scrypt parameters: store a new one. Not a password change
    // (the token version stays); a concurrent change of the user wins and we skip it.
    try {
      return subjectOf(await users.update(user.id, { passwordHash: await hashPassword(password, scrypt) }, user.version));
    } catch (err) {
      log.warn({ userId: user.id, err: { name: (err as Error).name, message: (err as Error).message } }, 'users: rehash skipped');
      return subjectOf(user);
    }
  }

  async function create(
    caller: Caller,
    fields: { email: string; password: string; role: User['role']; name?: string },
  ): Promise<PublicUser> {
    checkManageUsers(caller);
    const stored = await users.create({
      email: normalizeEmail(fields.email),
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      role: fields.role,
      passwordHash: await newPasswordHash(fields.password),
    });
    return toPublicUser(stored);
  }

  /** Your own password changes only with the current one (a stolen token must not take the account). */
  async function checkCurrentPassword(caller: Caller, id: string, changes: UserChanges, user: User): Promise<void> {
    if (changes.password === undefined || caller.id !== id) return;
    if (changes.currentPassword === undefined) {
      throw new UsersError('INVALID', 'To change your own password, send your current one as "currentPassword".');
    }
    if (!(await verifyPassword(changes.currentPassword.reveal(), user.passwordHash))) {
      throw new UsersError('FORBIDDEN', 'The current password is wrong.');
    }
  }

  async function update(caller: Caller, id: string, changes: UserChanges): Promise<PublicUser> {
    checkUpdate(caller, id, changes);
    const user = await mustFind(id);
    await checkCurrentPassword(caller, id, changes, user);
    const record: UserRecordChanges = {};
    if (changes.email !== undefined) record.email = normalizeEmail(changes.email);
    if (changes.name !== undefined) record.name = changes.name;
    if (changes.role !== undefined) record.role = changes.role;
    if (changes.password !== undefined) record.passwordHash = await newPasswordHash(changes.password.reveal());
    // A new password or role ends every token issued before it.
    if (record.passwordHash !== undefined || (record.role !== undefined && record.role !== user.role)) {
      record.tokenVersion = (user.tokenVersion ?? 0) + 1;
    }
    // One atomic write against the version read: a concurrent change → CONFLICT (409).
    return toPublicUser(await users.update(id, record, user.version));
  }

  async function revokeTokens(caller: Caller): Promise<void> {
    const user = await mustFind(caller.id);
    await users.update(caller.id, { tokenVersion: (user.tokenVersion ?? 0) + 1 }, user.version);
  }

  async function remove(caller: Caller, id: string): Promise<void> {
    checkDelete(caller, id);
    if (!(await users.delete(id))) throw userNotFound(id);
  }

  async function bootstrap(email: string, password: string): Promise<{ created: boolean }> {
    if ((await users.count()) > 0) return { created: false };
    try {
      await create({ id: 'bootstrap', role: 'ADMIN' }, { email, password, role: 'ADMIN' });
    } catch (err) {
      // Another node bootstrapped the same admin at the same moment: the unique index decided.
      if ((err as { code?: unknown }).code === 'DUPLICATE_KEY') return { created: false };
      throw err;
    }
    return { created: true };
  }

  return {
    name: USERS_ACTOR_NAME,
    restart: deps.restart ?? DEFAULT_RESTART_POLICY,
    init: () => null,
    async handle(state, message, ctx) {
      const log = ctx.log;
      switch (message.type) {
        case 'authenticate':
          void answer(message.replyTo, log, {}, () => authenticate(message.email, message.password.reveal(), log));
          return state;
        case 'lookup':
          void answer(message.replyTo, log, {}, async () => {
            const user = await users.findById(message.id);
            return user === null ? null : subjectOf(user);
          });
          return state;
        case 'revoke-tokens':
          await answer(message.replyTo, log, { id: message.caller.id }, () => revokeTokens(message.caller));
          return state;
        case 'get':
          void answer(message.replyTo, log, { id: message.id }, async () => {
            checkRead(message.caller, message.id);
            return toPublicUser(await mustFind(message.id));
          });
          return state;
        case 'list':
          void answer(message.replyTo, log, {}, async () => {
            checkManageUsers(message.caller);
            const page = await users.list({ limit: message.limit, offset: message.offset });
            return { items: page.items.map(toPublicUser), total: page.total };
          });
          return state;
        case 'create':
          await answer(message.replyTo, log, { email: normalizeEmail(message.email) }, () =>
            create(message.caller, {
              email: message.email,
              password: message.password.reveal(),
              role: message.role,
              ...(message.name !== undefined ? { name: message.name } : {}),
            }),
          );
          return state;
        case 'update': {
          const email = message.changes.email;
          await answer(message.replyTo, log, { id: message.id, ...(email !== undefined ? { email: normalizeEmail(email) } : {}) }, () =>
            update(message.caller, message.id, message.changes),
          );
          return state;
        }
        case 'delete':
          await answer(message.replyTo, log, { id: message.id }, () => remove(message.caller, message.id));
          return state;
        case 'bootstrap':
          await answer(message.replyTo, log, { email: normalizeEmail(message.email) }, () =>
            bootstrap(message.email, message.password.reveal()),
          );
          return state;
      }
    },
  };
}
