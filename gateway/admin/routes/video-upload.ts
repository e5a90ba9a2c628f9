// PUT /api/v1/video/zones/:name/files/:fileName: a workstation agent uploads one recording
// (docs/video.md, "Upload protocol"). The body is never buffered: a content-type parser that
// reads nothing hands the raw request stream to the service, which streams it to disk while
// hashing it; no body limit applies to this route.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { UploadMeta, UploadResult, VideoService } from '../../../actors/video/index.js';
import { RecordingSchema, ZONE_NAME } from '../../../domain/video/index.js';
import { BadRequestError } from '../../shared/errors.js';
import { errorResponses } from '../schemas.js';
import { agentTokenAuth, zoneParam } from './video-agent-auth.js';
import { videoHttpError } from './video-errors.js';
import { redirectToStorageNode } from './video-redirect.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value))
    throw new BadRequestError(`${name} is given more than once.`, [{ path: `headers.${name}`, message: 'is repeated' }]);
  return value === undefined ? undefined : value.trim();
}

export function uploadMetaOf(request: FastifyRequest): UploadMeta {
  const sessionId = header(request, 'x-session-id');
  const projectId = header(request, 'x-project-id');
  const recordedAt = header(request, 'x-recorded-at');
  const sha256 = header(request, 'x-sha256');
  const problems: Array<{ path: string; message: string }> = [];
  if (sessionId === undefined || sessionId === '') problems.push({ path: 'headers.x-session-id', message: 'is required' });
  if (recordedAt === undefined || !ISO_8601.test(recordedAt) || Number.isNaN(Date.parse(recordedAt))) {
    problems.push({ path: 'headers.x-recorded-at', message: 'must be an ISO 8601 date-time with an offset, e.g. 2024-01-31T10:15:00Z' });
  }
  if (sha256 === undefined || !/^[0-9a-fA-F]{64}$/.test(sha256))
    problems.push({ path: 'headers.x-sha256', message: 'must be the sha256 of the body as 64 hex digits' });
  if (problems.length > 0 || sessionId === undefined || recordedAt === undefined || sha256 === undefined) {
    throw new BadRequestError(`The upload headers are invalid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`, problems);
  }
  return {
    sessionId,
    ...(projectId !== undefined && projectId !== '' ? { projectId } : {}),
    recordedAt: new Date(recordedAt).toISOString(),
    sha256: sha256.toLowerCase(),
  };
}

function send(reply: FastifyReply, result: UploadResult): FastifyReply {
  return reply.code(result.created ? 201 : 200).send(result.recording);
}

export const videoUploadRoutes: FastifyPluginAsync<{ video: VideoService }> = async (app, { video }) => {
  // Only in this plugin's scope: take any body as the raw stream, unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.setErrorHandler((err, _request, _reply) => {
    throw videoHttpError(err) ?? err;
  });
  // An answer sent before the body was read (401, 307, 409…) closes the connection: the unread
  // body must not be taken for the next request.
  app.addHook('onSend', async (request, reply) => {
    if (!request.raw.complete) reply.header('connection', 'close');
  });

  app.put<{ Params: { name: string; fileName: string } }>(
    '/api/v1/video/zones/:name/files/:fileName',
    {
      config: { public: true },
      onRequest: agentTokenAuth(video),
      schema: {
        tags: ['video'],
        summary: 'Upload a recording (agent token); streamed, sha256-checked, atomic, idempotent',
        description:
          'Headers: x-session-id, x-project-id (optional), x-recorded-at (ISO 8601), x-sha256 (hex of the body). ' +
          '201 stored and indexed; 200 the same bytes were already stored; 409 other bytes are stored under that name; ' +
          '507 the storage disk is full. On a node that does not store the zone: 307 to one that does (503 when none is up).',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ name: Type.String({ pattern: ZONE_NAME }), fileName: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: {
          200: RecordingSchema,
          201: RecordingSchema,
          307: Type.Null({ description: 'Location: the same path on a storage node of the zone' }),
          ...errorResponses(400, 401, 404, 409, 503),
          507: Type.Object(
            { error: Type.String(), message: Type.String() },
            { description: 'The storage disk is full; nothing was stored' },
          ),
        },
      },
    },
    async (request, reply) => {
      const zone = zoneParam(request);
      if (await redirectToStorageNode(video, zone, request, reply)) return reply;
      const meta = uploadMetaOf(request);
      const known = await video.precheckUpload(zone, request.params.fileName, meta);
      if (known !== undefined) return send(reply, known);
      return send(reply, await video.upload(zone, request.params.fileName, meta, request.raw));
    },
  );
};
