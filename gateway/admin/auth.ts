// Bearer-token authentication for the admin API. Secure by default: every route under
// /api/v1 needs a valid token unless its route config says `public: true`; `roles` limits
// it further. Feature plugins only declare `config: { roles: ['ADMIN'] }` and read
// `request.user` (or `callerOf(request)`).
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import type { AuthService, AuthUser, Caller, VerifyFailure } from '../../actors/auth/index.js';
import type { Role } from '../../domain/auth/index.js';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.js';
import { errorResponses } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, or null on public routes / before authentication. */
    user: AuthUser | null;
  }
  interface FastifyContextConfig {
    /** No token needed (only meaningful under /api/v1, where tokens are the default). */
    public?: boolean;
    /** Roles allowed; omitted = any authenticated user. */
    roles?: readonly Role[];
  }
}

export const API_PREFIX = '/api/v1';

const FAILURE_MESSAGES: Record<VerifyFailure, string> = {
  missing: 'Authentication required: send Authorization: Bearer <token>.',
  expired: 'The token has expired; log in again.',
  'bad-signature': 'The token is invalid; log in again.',
  malformed: 'The token is invalid; log in again.',
  'unknown-user': 'The token is invalid; log in again.',
  revoked: 'The token was revoked (a password or role change, or a logout); log in again.',
};

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** An onRequest hook: sets `request.user` or answers 401/403. */
export function authenticate(auth: Pick<AuthService, 'verify'>, roles?: readonly Role[]): onRequestHookHandler {
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Fastify awaits an async onRequest hook
  return async function authenticateRequest(request) {
    const header = request.headers.authorization;
    const token = bearerToken(request);
    if (header !== undefined && token === undefined) {
      throw new UnauthorizedError('The Authorization header must be "Bearer <token>".');
    }
    const result = await auth.verify(token);
    if (!result.ok) throw new UnauthorizedError(FAILURE_MESSAGES[result.reason]);
    if (roles !== undefined && !roles.includes(result.user.role)) {
      throw new ForbiddenError(`This needs role ${roles.join(' or ')}; you are ${result.user.role}.`);
    }
    request.user = result.user;
  };
}

/** The authenticated caller of a protected route (throws 401 if there is none). */
export function callerOf(request: FastifyRequest): Caller {
  const user = request.user;
  if (user === null) throw new UnauthorizedError();
  return { id: user.id, role: user.role };
}

function isApiRoute(url: string): boolean {
  return url === API_PREFIX || url.startsWith(`${API_PREFIX}/`);
}

function appendHook(existing: RouteOptions['onRequest'], hook: onRequestHookHandler): onRequestHookHandler[] {
  if (existing === undefined) return [hook];
  return [hook, ...(Array.isArray(existing) ? existing : [existing])] as onRequestHookHandler[];
}

/**
 * Decorates `request.user` and protects every /api/v1 route registered after this call
 * (including routes of feature plugins registered later). Call it on the root instance.
 */
export function installAuth(app: FastifyInstance, auth: Pick<AuthService, 'verify'>): void {
  app.decorateRequest('user', null);
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { public?: boolean; roles?: readonly Role[] };
    if (!isApiRoute(route.url) || config.public === true) return;
    route.onRequest = appendHook(route.onRequest, authenticate(auth, config.roles));
    // Document it: the bearer scheme plus the 401/403 answers.
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    const response = (schema['response'] ?? {}) as Record<string | number, unknown>;
    route.schema = {
      ...schema,
      security: [{ bearerAuth: [] }],
      response: { ...errorResponses(401, 403), ...response },
    };
  });
}
