// What feature plugins (domain model, chat, video, cluster operations) and bin/ use.
export { buildAdminServer, DEFAULT_BODY_LIMIT, type AdminServerDeps } from './server.js';
export { API_PREFIX, authenticate, bearerToken, callerOf } from './auth.js';
export { ErrorSchema, ErrorDetailSchema, errorResponses, IdParamsSchema, PageQuerySchema } from './schemas.js';
export { errorResponse } from './error-handler.js';
export { LoginLimiter, type LoginLimiterOptions } from './login-limiter.js';
export type { LoginProtectionOptions } from './login-protection.js';
export { OPENAPI_PATH, DOCS_PATH } from './openapi.js';
export { ClusterNodeSchema, type ClusterInfo, type ClusterNodeView } from './routes/cluster.js';
export * from '../shared/errors.js';
export type { Readiness, ReadinessCheck } from '../shared/readiness.js';
