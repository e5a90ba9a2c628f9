// Admin users: the stored shape, the public view, and the request schemas (typebox: one
// definition gives the JSON schema Fastify validates with, the OpenAPI docs and the TS type).
import { Type, type Static } from '@sinclair/typebox';
import { DIRECTORY_USERNAME_PATTERN } from './directory.js';

export const ROLES = ['ADMIN', 'MANAGER'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A user as stored. `email` is always lower-cased; `passwordHash` never leaves the server. */
export interface User {
  id: string;
  email: string;
  name?: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** Bumped on a password or role change and on logout-everywhere; tokens carry it (absent = 0). */
  tokenVersion?: number;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/** Emails are compared case-insensitively: stored and looked up lower-cased and trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// No $id on shared sub-schemas: Fastify compiles every route with one ajv, which refuses a
// second schema with the same $id.
export const RoleSchema = Type.Union([Type.Literal('ADMIN'), Type.Literal('MANAGER')], {
  description: 'ADMIN may do everything; MANAGER the domain model, video zones and search',
});

export const EmailSchema = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
  description: 'e-mail address (case-insensitive)',
});

export const NewPasswordSchema = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `at least ${PASSWORD_MIN_LENGTH} characters, not one of the most common passwords`,
});

export const UserNameSchema = Type.String({ minLength: 1, maxLength: 200 });

/** `email` for a local user, or `username` for a directory account (LDAP_URL); exactly one. */
export const LoginBodySchema = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'a local user' })),
    username: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: DIRECTORY_USERNAME_PATTERN,
        description: 'a directory account (when LDAP_URL is set)',
      }),
    ),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBodySchema>;

export const CreateUserBodySchema = Type.Object(
  {
    email: EmailSchema,
    password: NewPasswordSchema,
    role: RoleSchema,
    name: Type.Optional(UserNameSchema),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBodySchema>;

export const PatchUserBodySchema = Type.Object(
  {
    email: Type.Optional(EmailSchema),
    password: Type.Optional(NewPasswordSchema),
    currentPassword: Type.Optional(
      Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'needed to change your own password' }),
    ),
    role: Type.Optional(RoleSchema),
    name: Type.Optional(UserNameSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchUserBody = Static<typeof PatchUserBodySchema>;

/** What the API returns for a user (no password hash). */
export const PublicUserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.Optional(Type.String()),
  role: RoleSchema,
  createdAt: Type.String({ description: 'ISO-8601 UTC' }),
  updatedAt: Type.String({ description: 'ISO-8601 UTC' }),
  version: Type.Integer(),
});
export type PublicUser = Static<typeof PublicUserSchema>;

export function toPublicUser(user: User): PublicUser {
  const { passwordHash: _hidden, tokenVersion: _internal, ...rest } = user;
  return rest;
}
