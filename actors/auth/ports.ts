// What the users actor needs from storage. persistence/users.ts (UsersRepository) satisfies
// it as is; tests use an in-memory fake. Failures are recognised by their `code`:
// DUPLICATE_KEY (unique email) / VERSION_CONFLICT → conflict, NOT_FOUND, UNAVAILABLE → 503.
import type { Role, User } from '../../domain/auth/index.js';

export interface UsersPage {
  items: User[];
  total: number;
}

/** A user to store; the store adds id, version 1, createdAt and updatedAt. */
export interface NewUserRecord {
  email: string;
  name?: string;
  role: Role;
  passwordHash: string;
}

export interface UserRecordChanges {
  email?: string;
  name?: string;
  role?: Role;
  passwordHash?: string;
  /** Set to the stored value + 1 to end every token issued before (docs/security.md). */
  tokenVersion?: number;
}

export interface UsersPort {
  count(): Promise<number>;
  findById(id: string): Promise<User | null>;
  /** Case-insensitive (emails are stored normalised). */
  findByEmail(email: string): Promise<User | null>;
  /** In a stable order, so pages do not overlap. */
  list(page: { limit: number; offset: number }): Promise<UsersPage>;
  /** Returns the stored user. A taken email → error with code DUPLICATE_KEY. */
  create(user: NewUserRecord): Promise<User>;
  /** Changes some fields in one write (version + 1). NOT_FOUND / VERSION_CONFLICT / DUPLICATE_KEY. */
  update(id: string, changes: UserRecordChanges, expectedVersion?: number): Promise<User>;
  /** False when there was no such user. */
  delete(id: string): Promise<boolean>;
}
