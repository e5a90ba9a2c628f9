// Messages of the users actor. Passwords travel wrapped in Secret; tokens never reach it
// (the AuthService signs and checks them).
import type { ReplyTo } from '../kernel/index.js';
import type { PublicUser, Role } from '../../domain/auth/index.js';
import type { Secret } from './secret.js';

/** Who is asking: the authenticated user behind a request. */
export interface Caller {
  id: string;
  role: Role;
}

export interface UserChanges {
  email?: string;
  password?: Secret;
  /** The caller's current password: needed to change their own. */
  currentPassword?: Secret;
  role?: Role;
  name?: string;
}

/** A user and the token version a token for them must carry. */
export interface TokenSubject {
  user: PublicUser;
  tokenVersion: number;
}

export interface PublicUsersPage {
  items: PublicUser[];
  total: number;
}

export type UsersMsg =
  /** Password check; replies the user or null (unknown email and bad password alike). */
  | { type: 'authenticate'; email: string; password: Secret; replyTo: ReplyTo<TokenSubject | null> }
  /** The current record behind a verified token (null when the user was deleted). */
  | { type: 'lookup'; id: string; replyTo: ReplyTo<TokenSubject | null> }
  /** Ends every token of `caller` issued so far (logout everywhere). */
  | { type: 'revoke-tokens'; caller: Caller; replyTo: ReplyTo<void> }
  | { type: 'list'; caller: Caller; limit: number; offset: number; replyTo: ReplyTo<PublicUsersPage> }
  | { type: 'get'; caller: Caller; id: string; replyTo: ReplyTo<PublicUser> }
  | {
      type: 'create';
      caller: Caller;
      email: string;
      password: Secret;
      role: Role;
      name?: string;
      replyTo: ReplyTo<PublicUser>;
    }
  | { type: 'update'; caller: Caller; id: string; changes: UserChanges; replyTo: ReplyTo<PublicUser> }
  | { type: 'delete'; caller: Caller; id: string; replyTo: ReplyTo<void> }
  /** Creates this ADMIN only when no user exists at all. */
  | { type: 'bootstrap'; email: string; password: Secret; replyTo: ReplyTo<{ created: boolean }> };
