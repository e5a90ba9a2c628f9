// GET|HEAD /video/files/:zone/:fileName?exp=&sig=: playback on the zone's storage node
// (docs/video.md, "Playback"). The path is parsed here, not by the router, so that every way
// of leaving storageDir (../, %2e%2e, %2f, absolute paths, NUL) is a 400, not a 404.
// A <video> element on another node's page plays it: no CORP/COEP header blocks it.
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { VideoService } from '../../../actors/video/index.js';
import { checkFileName, contentTypeOf, parseRange, ZONE_NAME_RE } from '../../../domain/video/index.js';
import { BadRequestError, HttpError } from '../../shared/errors.js';

export const PLAYBACK_PREFIX = '/video/files/';

export function playbackPathOf(url: string): { zone: string; fileName: string } {
  const path = url.split('?', 1)[0] ?? '';
  const rest = path.slice(PLAYBACK_PREFIX.length);
  const segments = rest.split('/');
  if (segments.length !== 2) throw new BadRequestError('A playback path is /video/files/<zone>/<file name>; nothing else is served.');
  let zone: string;
  let fileName: string;
  try {
    zone = decodeURIComponent(segments[0]!);
    fileName = decodeURIComponent(segments[1]!);
  } catch {
    throw new BadRequestError('The playback path is not valid percent-encoding.');
  }
  if (!ZONE_NAME_RE.test(zone)) throw new BadRequestError('The zone in the playback path is not a zone name.');
  const check = checkFileName(fileName);
  if (!check.ok) throw new BadRequestError(`The file in the playback path is not a plain file name: ${check.message}.`);
  return { zone, fileName };
}

function etagOf(size: number, mtime: Date): string {
  return `"${size.toString(16)}-${Math.floor(mtime.getTime()).toString(16)}"`;
}

export const videoPlaybackRoutes: FastifyPluginAsync<{ video: VideoService }> = async (app, { video }) => {
  app.route({
    method: ['GET', 'HEAD'],
    url: `${PLAYBACK_PREFIX}*`,
    exposeHeadRoute: false,
    schema: {
      tags: ['video'],
      summary: 'Play a recording (signed link from a search; on the storage node)',
      description:
        'Query: exp, sig (and u) exactly as in playbackUrl. Range: one byte range → 206; several → 200 with the whole file; ' +
        'past the end → 416. 403 bad or expired link; 400 a path that would leave the storage directory.',
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { zone, fileName } = playbackPathOf(request.url);
      const rangeHeader = request.headers.range;
      const range = typeof rangeHeader === 'string' ? rangeHeader : undefined;
      // One audit entry per playback: the first request of a player (no range, or from byte 0),
      // not each of the range requests that follow while it plays.
      const audited = request.method === 'GET' && (range === undefined || /^\s*bytes\s*=\s*0\s*-/i.test(range));
      const file = await video.openPlayback(
        zone,
        fileName,
        request.query as Record<string, unknown>,
        audited ? { ip: request.ip, range: range ?? '' } : undefined,
      );
      const etag = etagOf(file.sizeBytes, file.mtime);
      reply
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('accept-ranges', 'bytes')
        .header('content-type', contentTypeOf(fileName))
        .header('etag', etag)
        .header('last-modified', file.mtime.toUTCString())
        .header('cache-control', 'private, max-age=0, must-revalidate');
      if (request.headers['if-none-match'] === etag && range === undefined) return reply.code(304).send();
      const ifRange = request.headers['if-range'];
      const wanted = ifRange !== undefined && ifRange !== etag ? { kind: 'whole' as const } : parseRange(range, file.sizeBytes);
      if (wanted.kind === 'unsatisfiable') {
        throw new HttpError(416, 'range_not_satisfiable', `The range is outside the file (${file.sizeBytes} bytes).`, undefined, {
          'content-range': `bytes */${file.sizeBytes}`,
        });
      }
      if (wanted.kind === 'single') {
        reply
          .code(206)
          .header('content-range', `bytes ${wanted.start}-${wanted.end}/${file.sizeBytes}`)
          .header('content-length', String(wanted.end - wanted.start + 1));
        if (request.method === 'HEAD') return reply.send();
        return reply.send(createReadStream(file.path, { start: wanted.start, end: wanted.end }));
      }
      reply.code(200).header('content-length', String(file.sizeBytes));
      if (request.method === 'HEAD' || file.sizeBytes === 0) return reply.send();
      return reply.send(createReadStream(file.path));
    },
  });
};
