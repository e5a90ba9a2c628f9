// Admin users. Emails are stored lower-cased (unique index), so lookups are case-insensitive.
import type { Db } from 'mongodb';
import { normalizeEmail, type Role, type User } from '../domain/auth/user.js';
import type { IndexSpec } from './indexes.js';
import { Repository, type EntityChanges, type Page, type RepositoryOptions } from './repository.js';

export const USERS_COLLECTION = 'users';

export const USER_INDEXES: readonly IndexSpec<User>[] = [{ name: 'users_email_unique', fields: ['email'], unique: true }];

export interface NewUser {
  id?: string;
  email: string;
  name?: string;
  role: Role;
  passwordHash: string;
}

export type UserChanges = Pick<EntityChanges<User>, 'email' | 'name' | 'role' | 'passwordHash' | 'tokenVersion'>;

export class UsersRepository {
  private readonly repo: Repository<User>;

  constructor(db: Db, opts: Omit<RepositoryOptions<User>, 'uniqueIndexes'> = {}) {
    this.repo = new Repository<User>(db, USERS_COLLECTION, { ...opts, uniqueIndexes: USER_INDEXES });
  }

  /** A taken email → DuplicateKeyError with fields ['email']. */
  create(user: NewUser): Promise<User> {
    return this.repo.insert({ ...user, email: normalizeEmail(user.email) });
  }

  findByEmail(email: string): Promise<User | null> {
    if (typeof email !== 'string') return Promise.resolve(null);
    return this.repo.findOne({ email: normalizeEmail(email) });
  }

  findById(id: string): Promise<User | null> {
    return this.repo.findById(id);
  }

  /** Sorted by email. */
  list(opts: { limit?: number; offset?: number; role?: Role } = {}): Promise<Page<User>> {
    const filter = opts.role === undefined ? {} : { role: opts.role };
    return this.repo.find(filter, {
      sort: { email: 1 },
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
    });
  }

  /** `name: undefined` removes the name. NotFoundError / VersionConflictError / DuplicateKeyError. */
  update(id: string, changes: UserChanges, expectedVersion?: number): Promise<User> {
    const normalized: UserChanges = {};
    // Only `name` is optional; an undefined email/role/hash means "leave as is", never "remove".
    if (changes.email !== undefined) normalized.email = normalizeEmail(changes.email);
    if (changes.role !== undefined) normalized.role = changes.role;
    if (changes.passwordHash !== undefined) normalized.passwordHash = changes.passwordHash;
    if (changes.tokenVersion !== undefined) normalized.tokenVersion = changes.tokenVersion;
    if ('name' in changes) normalized.name = changes.name;
    return this.repo.update(id, normalized, expectedVersion);
  }

  delete(id: string, expectedVersion?: number): Promise<boolean> {
    return this.repo.delete(id, expectedVersion);
  }

  count(filter: { role?: Role } = {}): Promise<number> {
    return this.repo.count(filter.role === undefined ? {} : { role: filter.role });
  }
}
