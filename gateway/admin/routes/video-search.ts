import { Type } from '@sinclair/typebox';
// Search, legal hold and the audit log of the video index (docs/video.md, docs/api.md).
import type { FastifyPluginAsync } from 'fastify';
import type { VideoService } from '../../../actors/video/index.js';
import {
  AuditPageSchema,
  AuditQuerySchema,
  LegalHoldBodySchema,
  RecordingSchema,
  SearchPageSchema,
  SearchQuerySchema,
  type AuditQuery,
  type LegalHoldBody,
  type SearchQuery,
} from '../../../domain/video/index.js';
import { callerOf } from '../auth.js';
import { errorResponses } from '../schemas.js';

const RecordingIdParamsSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}~[A-Za-z0-9._-]{1,255}$', description: '<zone>~<fileName>' }),
});

export const videoSearchRoutes: FastifyPluginAsync<{ video: VideoService }> = async (app, { video }) => {
  app.get<{ Querystring: SearchQuery }>(
    '/api/v1/video/recordings',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags: ['video'],
        summary: 'Search recordings (by session id, project, zone, date); every search is audited',
        description:
          'recordedAt in [from, to). Items come newest first with a signed playbackUrl on the storage node (null when deleted or missing).',
        querystring: SearchQuerySchema,
        response: { 200: SearchPageSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => video.search(request.query, { actor: callerOf(request).id, ip: request.ip }),
  );

  app.patch<{ Params: { id: string }; Body: LegalHoldBody }>(
    '/api/v1/video/recordings/:id',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['video'],
        summary: 'Set or lift the legal hold of a recording (ADMIN); a held recording is never deleted by retention',
        params: RecordingIdParamsSchema,
        body: LegalHoldBodySchema,
        response: { 200: RecordingSchema, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { deleting: _deleting, ...recording } = await video.setLegalHold(request.params.id, request.body.legalHold);
      return recording;
    },
  );

  app.get<{ Querystring: AuditQuery }>(
    '/api/v1/audit',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['video'],
        summary: 'The audit log: every video search and playback, newest first (ADMIN)',
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => video.listAudit(request.query),
  );
};
