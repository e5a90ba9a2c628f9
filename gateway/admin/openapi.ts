// OpenAPI: @fastify/swagger collects every route's typebox schema (registered before any
// route); the document is served at /api/v1/openapi.json and browsable at /docs (the UI
// itself loads the same document from /docs/json).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/docs';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Beamstack admin API',
        version,
        description:
          'Admin REST API of a Beamstack node. Log in with POST /api/v1/sessions and send the token as ' +
          '`Authorization: Bearer <token>`. Errors are `{ error, message, details? }`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Token from POST /api/v1/sessions' },
        },
      },
      tags: [
        { name: 'auth', description: 'Sessions' },
        { name: 'users', description: 'User management' },
        { name: 'cluster', description: 'Nodes and cluster operations' },
        { name: 'service', description: 'Health, readiness, metrics (no auth)' },
        { name: 'video', description: 'Call-recording video index: zones, upload, search, playback, retention, audit' },
        { name: 'scheduling', description: 'EPG intake and DVR recordings (docs/scheduling.md)' },
      ],
    },
  });

  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    staticCSP: true,
  });

  app.get(OPENAPI_PATH, { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
