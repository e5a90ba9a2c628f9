// The admin HTTP server (PORT): REST API, auth, OpenAPI, health/ready/metrics. Built here,
// listened on by the caller (bin/ or a test). Feature routes come in as plugins; every
// /api/v1 route they add needs a token unless its config says `public: true`.
import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { AuthService, DirectoryLogin } from '../../actors/auth/index.js';
import { redactingChild, sanitizeUrl } from '../shared/logging.js';
import type { Readiness } from '../shared/readiness.js';
import { installAuth } from './auth.js';
import { installJsonErrors } from './error-handler.js';
import { loginProtection, type LoginProtectionOptions } from './login-protection.js';
import { registerOpenApi } from './openapi.js';
import { installServiceAccess } from './service-access.js';
import { clusterRoutes, type ClusterInfo } from './routes/cluster.js';
import { serviceRoutes } from './routes/service.js';
import { sessionRoutes } from './routes/sessions.js';
import { userRoutes } from './routes/users.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface AdminServerDeps {
  /** A pino logger (bin/ makes it); a redacting child is used for HTTP. */
  logger: FastifyBaseLogger;
  auth: AuthService;
  metrics: Registry;
  readiness: Readiness;
  clusterInfo: ClusterInfo;
  /** Feature routes (domain model, chat, video, cluster operations…), registered after the core ones. */
  plugins?: FastifyPluginAsync[];
  /** Bytes; default 1 MiB. Routes may set their own `bodyLimit`. */
  bodyLimit?: number;
  /** Fastify `trustProxy`: only the configured proxies (TRUSTED_PROXIES), never `true` in production. */
  trustProxy?: string[] | boolean;
  /** Login limits, their shared counters and the password-check cap (./login-protection.ts). */
  login: LoginProtectionOptions;
  /** Directory login for POST /api/v1/sessions { username, password } (LDAP_URL). */
  directoryLogin?: DirectoryLogin;
  /** Shown in the OpenAPI document. */
  version?: string;
  /** METRICS_TOKEN: a scraper's bearer token for /metrics (docs/security.md). */
  metricsToken?: string;
}

/** Successful hits on these are not logged (probes and scrapers call them all the time). */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

export async function buildAdminServer(deps: AdminServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: redactingChild(deps.logger, { component: 'admin-http' }),
    // Our own onResponse line replaces Fastify's per-request logging.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: deps.trustProxy ?? false,
    ajv: {
      // allErrors: name every bad field; removeAdditional off: unknown fields are an error,
      // not silently dropped.
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  }) as unknown as FastifyInstance;

  installJsonErrors(app);
  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (reply.statusCode < 400 && QUIET_PATHS.has(path)) return;
    request.log.info(
      {
        method: request.method,
        url: sanitizeUrl(request.url),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...(request.user ? { userId: request.user.id } : {}),
      },
      'request',
    );
  });

  await app.register(helmet, { global: true });
  installServiceAccess(app, deps.auth, deps.metricsToken);
  await registerOpenApi(app, deps.version ?? '0.1.0');
  // After swagger (it must see every route), before any /api/v1 route.
  installAuth(app, deps.auth);

  await app.register(serviceRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  await app.register(sessionRoutes, {
    auth: deps.auth,
    ...loginProtection(deps.login, deps.trustProxy ?? false),
    ...(deps.directoryLogin !== undefined ? { directory: deps.directoryLogin } : {}),
  });
  await app.register(userRoutes, { auth: deps.auth });
  await app.register(clusterRoutes, { clusterInfo: deps.clusterInfo });
  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  return app;
}
