// Video zones, their agent tokens and retention (docs/video.md, docs/api.md).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { VideoService } from '../../../actors/video/index.js';
import {
  AgentConfigSchema,
  CreateZoneBodySchema,
  PatchZoneBodySchema,
  VideoZoneSchema,
  ZONE_NAME,
  type CreateZoneBody,
  type PatchZoneBody,
} from '../../../domain/video/index.js';
import { errorResponses } from '../schemas.js';
import { agentTokenAuth, zoneParam } from './video-agent-auth.js';
import { redirectToStorageNode } from './video-redirect.js';

type NameParams = { name: string };
const NameParamsSchema = Type.Object({ name: Type.String({ pattern: ZONE_NAME }) });
const TokenParamsSchema = Type.Object({ name: Type.String({ pattern: ZONE_NAME }), id: Type.String({ minLength: 1, maxLength: 64 }) });
const AgentTokenSchema = Type.Object({
  id: Type.String(),
  zone: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
const RetentionItemSchema = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  sessionId: Type.String(),
  recordedAt: Type.String(),
  storageDays: Type.Integer(),
});
const RetentionReportSchema = Type.Object({
  zone: Type.String(),
  deleted: Type.Array(RetentionItemSchema),
  resumed: Type.Integer({ description: 'intents of an interrupted run finished by this one' }),
  held: Type.Integer({ description: 'skipped because a legal hold came in during the run' }),
  failed: Type.Array(Type.Object({ ...RetentionItemSchema.properties, error: Type.String() })),
  startedAt: Type.String(),
  finishedAt: Type.String(),
});

export const videoZoneRoutes: FastifyPluginAsync<{ video: VideoService }> = async (app, { video }) => {
  const tags = ['video'];

  app.get(
    '/api/v1/video/zones',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags,
        summary: 'List video zones',
        response: { 200: Type.Object({ items: Type.Array(VideoZoneSchema), total: Type.Integer() }), ...errorResponses(503) },
      },
    },
    async () => {
      const items = await video.listZones();
      return { items, total: items.length };
    },
  );

  app.post<{ Body: CreateZoneBody }>(
    '/api/v1/video/zones',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: 'Create a video zone (ADMIN)',
        body: CreateZoneBodySchema,
        response: { 201: VideoZoneSchema, ...errorResponses(400, 409, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(await video.createZone(request.body)),
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/video/zones/:name',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags,
        summary: 'Read a video zone',
        params: NameParamsSchema,
        response: { 200: VideoZoneSchema, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => video.getZone(request.params.name),
  );

  app.patch<{ Params: NameParams; Body: PatchZoneBody }>(
    '/api/v1/video/zones/:name',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: 'Change a video zone (ADMIN)',
        params: NameParamsSchema,
        body: PatchZoneBodySchema,
        response: { 200: VideoZoneSchema, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => video.patchZone(request.params.name, request.body),
  );

  app.delete<{ Params: NameParams }>(
    '/api/v1/video/zones/:name',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: 'Delete a video zone (ADMIN; refused with 409 while it has recordings)',
        params: NameParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      await video.deleteZone(request.params.name);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: NameParams }>(
    '/api/v1/video/zones/:name/agent-tokens',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: 'Issue an agent token for the zone (ADMIN); the token is shown only in this answer',
        params: NameParamsSchema,
        response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), ...errorResponses(400, 404, 503) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .send(await video.issueAgentToken(request.params.name)),
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/video/zones/:name/agent-tokens',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: "List the zone's agent tokens (ids only; ADMIN)",
        params: NameParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(AgentTokenSchema) }), ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => ({ items: await video.listAgentTokens(request.params.name) }),
  );

  app.delete<{ Params: { name: string; id: string } }>(
    '/api/v1/video/zones/:name/agent-tokens/:id',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: 'Revoke an agent token (ADMIN)',
        params: TokenParamsSchema,
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(400, 404, 503) },
      },
    },
    async (request, reply) => {
      await video.revokeAgentToken(request.params.name, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/video/zones/:name/agent-config',
    {
      config: { public: true },
      onRequest: agentTokenAuth(video),
      schema: {
        tags,
        summary: 'What a workstation agent needs to know about its zone (agent token)',
        security: [{ bearerAuth: [] }],
        params: NameParamsSchema,
        response: { 200: AgentConfigSchema, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => video.agentConfig(request.params.name),
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/video/zones/:name/retention/preview',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags,
        summary: 'What the next retention run of the zone would delete',
        params: NameParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(RetentionItemSchema) }), ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => ({ items: await video.previewRetention(request.params.name) }),
  );

  app.post<{ Params: NameParams }>(
    '/api/v1/video/zones/:name/retention/run',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags,
        summary: "Run the zone's retention now (ADMIN); on a node that does not store the zone: 307 to one that does",
        params: NameParamsSchema,
        response: {
          200: RetentionReportSchema,
          307: Type.Null({ description: 'Location: the same path on a storage node of the zone' }),
          ...errorResponses(400, 404, 503),
        },
      },
    },
    async (request: FastifyRequest<{ Params: NameParams }>, reply: FastifyReply) => {
      const zone = zoneParam(request);
      await video.getZone(zone);
      if (await redirectToStorageNode(video, zone, request, reply)) return reply;
      return video.runRetention(zone);
    },
  );
};
