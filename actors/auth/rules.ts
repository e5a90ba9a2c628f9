// Who may do what with users. ADMIN manages every user; anyone may read their own record and
// change their own name and password; nobody deletes or demotes themselves (so the last
// ADMIN can never remove their own access).
import { UsersError } from './errors.js';
import type { Caller, UserChanges } from './messages.js';

const forbidden = (message: string): UsersError => new UsersError('FORBIDDEN', message);

export function checkManageUsers(caller: Caller): void {
  if (caller.role !== 'ADMIN') throw forbidden('Only an ADMIN may manage users.');
}

export function checkRead(caller: Caller, targetId: string): void {
  if (caller.role !== 'ADMIN' && caller.id !== targetId) throw forbidden('You may only read your own user.');
}

const SELF_CHANGEABLE = new Set<keyof UserChanges>(['name', 'password', 'currentPassword']);

export function checkUpdate(caller: Caller, targetId: string, changes: UserChanges): void {
  const self = caller.id === targetId;
  if (caller.role !== 'ADMIN') {
    if (!self) throw forbidden('You may only change your own user.');
    const other = (Object.keys(changes) as Array<keyof UserChanges>).filter(
      (field) => changes[field] !== undefined && !SELF_CHANGEABLE.has(field),
    );
    if (other.length > 0) throw forbidden(`You may only change your own name and password, not ${other.join(', ')}.`);
    return;
  }
  if (self && changes.role !== undefined && changes.role !== 'ADMIN') throw forbidden('You cannot demote yourself.');
}

export function checkDelete(caller: Caller, targetId: string): void {
  checkManageUsers(caller);
  if (caller.id === targetId) throw forbidden('You cannot delete yourself.');
}
