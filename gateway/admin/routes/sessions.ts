// POST /api/v1/sessions: log in with email + password, get a bearer token. Failed attempts
// are limited per client IP and per email; a success clears both.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../../actors/auth/index.js';
import { LoginBodySchema, normalizeEmail, PublicUserSchema, type LoginBody } from '../../../domain/auth/index.js';
import { TooManyRequestsError, UnauthorizedError } from '../../shared/errors.js';
import type { LoginLimiter } from '../login-limiter.js';
import { errorResponses } from '../schemas.js';

export interface SessionRoutesOptions {
  auth: Pick<AuthService, 'login'>;
  limiter: LoginLimiter;
}

export const SessionSchema = Type.Object({
  token: Type.String({ description: 'send as Authorization: Bearer <token>' }),
  expiresAt: Type.String({ description: 'ISO-8601 UTC' }),
  user: PublicUserSchema,
});

export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, { auth, limiter }) => {
  app.post<{ Body: LoginBody }>(
    '/api/v1/sessions',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in: returns a bearer token',
        body: LoginBodySchema,
        response: { 200: SessionSchema, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (request) => {
      const keys = [`ip:${request.ip}`, `email:${normalizeEmail(request.body.email)}`];
      const waitMs = limiter.retryAfterMs(keys);
      if (waitMs > 0) {
        throw new TooManyRequestsError('Too many failed logins; try again later.', waitMs / 1000);
      }
      const result = await auth.login(request.body.email, request.body.password);
      if (!result.ok) {
        limiter.recordFailure(keys);
        throw new UnauthorizedError('Wrong email or password.');
      }
      limiter.clear(keys);
      return { token: result.token, expiresAt: result.expiresAt, user: result.user };
    },
  );
};
