// The users actor: owns user management over a UsersPort. Reads (login checks, lookups,
// lists) run detached so a slow store or a scrypt hash never holds the mailbox; writes are
// handled one at a time, so bootstrap's "no user yet" check and its insert do not interleave
// on a node (across nodes the store's unique email index decides).
import {
  dummyPasswordHash,
  hashPassword,
  normalizeEmail,
  toPublicUser,
  verifyPassword,
  type PublicUser,
  type User,
} from '../../domain/auth/index.js';
import type { Logger } from '../../domain/log.js';
import { DEFAULT_RESTART_POLICY, type ActorSpec, type ReplyTo, type RestartPolicy } from '../kernel/index.js';
import { classifyPortError, userNotFound } from './errors.js';
import type { Caller, UserChanges, UsersMsg } from './messages.js';
import type { UserRecordChanges, UsersPort } from './ports.js';
import { checkDelete, checkManageUsers, checkRead, checkUpdate } from './rules.js';

export const USERS_ACTOR_NAME = 'users';

export interface UsersDeps {
  users: UsersPort;
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

  async function mustFind(id: string): Promise<User> {
    const user = await users.findById(id);
    if (user === null) throw userNotFound(id);
    return user;
  }

  async function authenticate(email: string, password: string): Promise<PublicUser | null> {
    const user = await users.findByEmail(normalizeEmail(email));
    if (user === null) {
      // Same scrypt work as a real check, so response time does not reveal unknown emails.
      await verifyPassword(password, await dummyPasswordHash());
      return null;
    }
    return (await verifyPassword(password, user.passwordHash)) ? toPublicUser(user) : null;
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
      passwordHash: await hashPassword(fields.password),
    });
    return toPublicUser(stored);
  }

  async function update(caller: Caller, id: string, changes: UserChanges): Promise<PublicUser> {
    checkUpdate(caller, id, changes);
    const record: UserRecordChanges = {};
    if (changes.email !== undefined) record.email = normalizeEmail(changes.email);
    if (changes.name !== undefined) record.name = changes.name;
    if (changes.role !== undefined) record.role = changes.role;
    if (changes.password !== undefined) record.passwordHash = await hashPassword(changes.password.reveal());
    // One atomic write; a missing user comes back as NOT_FOUND.
    return toPublicUser(await users.update(id, record));
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
          void answer(message.replyTo, log, {}, () => authenticate(message.email, message.password.reveal()));
          return state;
        case 'lookup':
          void answer(message.replyTo, log, {}, async () => {
            const user = await users.findById(message.id);
            return user === null ? null : toPublicUser(user);
          });
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
