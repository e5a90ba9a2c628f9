// POST /api/v1/sessions: log in with email + password (a local user) or username + password
// (a directory account, when directory login is configured), get a bearer token. Attempts
// are counted before the password check, per (account, client) and per client (the limiter);
// at most `passwordChecks.max` checks run at once on this node (docs/security.md).
// DELETE /api/v1/sessions: log out everywhere (every token of the caller ends).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { callerOf } from '../auth.js';
import type { AuthService, DirectoryLogin, DirectoryLoginResult } from '../../../actors/auth/index.js';
import {
  directoryUserId,
  isDirectoryUserId,
  LoginBodySchema,
  normalizeEmail,
  PublicUserSchema,
  type LoginBody,
} from '../../../domain/auth/index.js';
import { BadRequestError, TooManyRequestsError, UnauthorizedError } from '../../shared/errors.js';
import type { ClientKeyOf } from '../client-address.js';
import type { ConcurrencyLimit } from '../concurrency-limit.js';
import type { LoginLimiter } from '../login-limiter.js';
import { errorResponses } from '../schemas.js';

export interface SessionRoutesOptions {
  auth: Pick<AuthService, 'login' | 'revokeTokens'>;
  limiter: LoginLimiter;
  /** Password checks running at once on this node; beyond it 429. */
  passwordChecks: ConcurrencyLimit;
  clientKeyOf: ClientKeyOf;
  /** Directory login (LDAP_URL); without it a `username` body is refused with 400. */
  directory?: DirectoryLogin;
}

export const SessionSchema = Type.Object({
  token: Type.String({ description: 'send as Authorization: Bearer <token>' }),
  expiresAt: Type.String({ description: 'ISO-8601 UTC' }),
  user: PublicUserSchema,
});

type Attempt =
  { kind: 'local'; email: string; key: string } | { kind: 'directory'; username: string; key: string; directory: DirectoryLogin };

/** Sent with a 429 when the node is busy checking other passwords: such floods are short. */
const BUSY_RETRY_SECONDS = 1;

function attemptOf(body: LoginBody, directory: DirectoryLogin | undefined): Attempt {
  const { email, username } = body;
  if (email !== undefined && username === undefined) return { kind: 'local', email, key: `email:${normalizeEmail(email)}` };
  if (username === undefined || email !== undefined) {
    throw new BadRequestError('Send either "email" (a local user) or "username" (a directory account), with "password".');
  }
  if (directory === undefined) {
    throw new BadRequestError('Directory login is not configured on this node (LDAP_URL); log in with "email".');
  }
  // Directories ignore leading and trailing spaces in names; so do we (one account, one id).
  const name = username.trim();
  if (name.length === 0) throw new BadRequestError('"username" is empty.');
  return { kind: 'directory', username: name, key: `user:${directoryUserId(name)}`, directory };
}

const REFUSALS = {
  local: 'Wrong email or password.',
  directory: 'Wrong username or password.',
  no_role: 'Your directory account is in no group allowed to use Beamstack (LDAP_GROUP_ROLES).',
} as const;

export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, options) => {
  const { auth, limiter, passwordChecks, clientKeyOf, directory } = options;
  app.post<{ Body: LoginBody }>(
    '/api/v1/sessions',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in: returns a bearer token',
        description:
          'Either { email, password } for a local user or { username, password } for a directory account ' +
          '(only when LDAP_URL is set; the token then names the user `ldap:<username>`).',
        body: LoginBodySchema,
        response: { 200: SessionSchema, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (request: FastifyRequest<{ Body: LoginBody }>) => {
      const attempt = attemptOf(request.body, directory);
      const client = `client:${clientKeyOf(request)}`;
      const keys = { pair: `${attempt.key}|${client}`, client };
      const release = passwordChecks.tryEnter();
      if (release === undefined) {
        throw new TooManyRequestsError('This node is busy checking other logins; try again in a moment.', BUSY_RETRY_SECONDS);
      }
      try {
        const waitMs = await limiter.attempt(keys);
        if (waitMs > 0) throw new TooManyRequestsError('Too many failed logins; try again later.', waitMs / 1000);
        const result: DirectoryLoginResult =
          attempt.kind === 'local'
            ? await auth.login(attempt.email, request.body.password)
            : await attempt.directory.login(attempt.username, request.body.password);
        if (!result.ok) throw new UnauthorizedError(result.reason === 'no_role' ? REFUSALS.no_role : REFUSALS[attempt.kind]);
        await limiter.succeeded(keys);
        return { token: result.token, expiresAt: result.expiresAt, user: result.user };
      } finally {
        release();
      }
    },
  );

  app.delete(
    '/api/v1/sessions',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log out everywhere: every token of the caller ends',
        description:
          "Bumps the caller's token version, so this token and every other one issued to them is refused from now on. " +
          'Directory accounts have no stored version: their tokens end after TOKEN_TTL (400).',
        response: { 204: Type.Null({ description: 'Logged out' }), ...errorResponses(400, 409, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (isDirectoryUserId(caller.id)) {
        throw new BadRequestError('A directory account cannot log out everywhere: its tokens end after TOKEN_TTL.');
      }
      await auth.revokeTokens(caller);
      return reply.code(204).send();
    },
  );
};
