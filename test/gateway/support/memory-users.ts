// An in-memory UsersPort with the same contract as persistence/users.ts (unique email,
// versions, coded errors). `unavailable = true` makes every call fail like MongoDB being down.
import { normalizeEmail, type User } from '../../../domain/auth/index.js';
import type { NewUserRecord, UserRecordChanges, UsersPage, UsersPort } from '../../../actors/auth/index.js';

class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class MemoryUsers implements UsersPort {
  private readonly byId = new Map<string, User>();
  private nextId = 1;
  unavailable = false;
  /** Calls made, for assertions. */
  readonly calls: string[] = [];

  private check(call: string): void {
    this.calls.push(call);
    if (this.unavailable) throw new CodedError('UNAVAILABLE', 'MongoDB is unavailable');
  }

  private emailTaken(email: string, exceptId?: string): boolean {
    for (const user of this.byId.values()) if (user.email === email && user.id !== exceptId) return true;
    return false;
  }

  async count(): Promise<number> {
    this.check('count');
    return this.byId.size;
  }

  async findById(id: string): Promise<User | null> {
    this.check('findById');
    const user = this.byId.get(id);
    return user === undefined ? null : { ...user };
  }

  async findByEmail(email: string): Promise<User | null> {
    this.check('findByEmail');
    const wanted = normalizeEmail(email);
    for (const user of this.byId.values()) if (user.email === wanted) return { ...user };
    return null;
  }

  async list(page: { limit: number; offset: number }): Promise<UsersPage> {
    this.check('list');
    const all = [...this.byId.values()].sort((a, b) => a.email.localeCompare(b.email));
    return { items: all.slice(page.offset, page.offset + page.limit).map((u) => ({ ...u })), total: all.length };
  }

  async create(record: NewUserRecord): Promise<User> {
    this.check('create');
    const email = normalizeEmail(record.email);
    if (this.emailTaken(email)) throw new CodedError('DUPLICATE_KEY', 'users: a record with the same email already exists');
    const at = new Date().toISOString();
    const user: User = { ...record, email, id: `u${this.nextId++}`, version: 1, createdAt: at, updatedAt: at };
    this.byId.set(user.id, user);
    return { ...user };
  }

  async update(id: string, changes: UserRecordChanges, expectedVersion?: number): Promise<User> {
    this.check('update');
    const current = this.byId.get(id);
    if (current === undefined) throw new CodedError('NOT_FOUND', `users/${id} does not exist`);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new CodedError('VERSION_CONFLICT', `users/${id}: version ${expectedVersion} is stale`);
    }
    const email = changes.email !== undefined ? normalizeEmail(changes.email) : current.email;
    if (this.emailTaken(email, id)) throw new CodedError('DUPLICATE_KEY', 'users: a record with the same email already exists');
    const next: User = {
      ...current,
      ...changes,
      email,
      version: current.version + 1,
      updatedAt: new Date().toISOString(),
    };
    this.byId.set(id, next);
    return { ...next };
  }

  async delete(id: string): Promise<boolean> {
    this.check('delete');
    return this.byId.delete(id);
  }

  /** Every stored user (for assertions; no call recorded). */
  snapshot(): User[] {
    return [...this.byId.values()].map((u) => ({ ...u }));
  }
}
