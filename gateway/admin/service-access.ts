// The admin port's service documents (docs/security.md, "Exposure"): /metrics, the docs UI
// under /docs and the OpenAPI document describe the node and its API to whoever asks, so
// they need a token: an admin-API token (any role), or for /metrics only the scraper's
// METRICS_TOKEN. /health and /ready stay public (probes carry no token).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../../actors/auth/index.js';
import { UnauthorizedError } from '../shared/errors.js';
import { bearerToken } from './auth.js';
import { DOCS_PATH, OPENAPI_PATH } from './openapi.js';

const METRICS_PATH = '/metrics';

function isServiceDocument(path: string): boolean {
  return path === METRICS_PATH || path === OPENAPI_PATH || path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Adds the check as a root onRequest hook: call it before the documents' routes are registered. */
export function installServiceAccess(app: FastifyInstance, auth: Pick<AuthService, 'verify'>, metricsToken?: string): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    // The matched route, not the raw URL: percent-encoded spellings reach the same route.
    const path = request.routeOptions.url ?? '';
    if (!isServiceDocument(path)) return;
    const token = bearerToken(request);
    if (token === undefined) throw new UnauthorizedError('Authentication required: send Authorization: Bearer <token>.');
    if (path === METRICS_PATH && metricsToken !== undefined && sameSecret(token, metricsToken)) return;
    const result = await auth.verify(token);
    if (!result.ok) throw new UnauthorizedError('The token is invalid or expired.');
  });
}
