// POST /api/v1/epg: an XMLTV document creates or updates the Programs of known channels
// (XMLTV channel id = LinearChannel.epgId) and reports what it skipped and why.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { DomainService } from '../../../actors/routing/index.js';
import { BadRequestError, HttpError } from '../../shared/errors.js';
import { errorResponses } from '../schemas.js';
import { DOMAIN_ROLES } from './domain.js';
import { toHttpError } from './domain-errors.js';
import { parseEpgDocument } from './epg-document.js';
import { XmltvError } from './xmltv.js';

export interface EpgRoutesOptions {
  domain: DomainService;
}

export const EPG_BODY_LIMIT = 32 * 1024 * 1024;
const XML_TYPES = ['application/xml', 'text/xml'];

const EpgReportSchema = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer({ description: 'programmes already stored exactly like this' }),
  skippedCount: Type.Integer(),
  skipped: Type.Array(
    Type.Object({
      channel: Type.Optional(Type.String()),
      epgId: Type.Optional(Type.String()),
      start: Type.Optional(Type.String()),
      reason: Type.String(),
    }),
    { description: 'the first 1000 skipped programmes with the reason' },
  ),
});

export const epgRoutes: FastifyPluginAsync<EpgRoutesOptions> = async (app, { domain }) => {
  // Encapsulated: only this plugin's routes take XML.
  app.addContentTypeParser(XML_TYPES, { parseAs: 'string', bodyLimit: EPG_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.post<{ Body: string }>(
    '/api/v1/epg',
    {
      config: { roles: DOMAIN_ROLES },
      bodyLimit: EPG_BODY_LIMIT,
      schema: {
        tags: ['domain'],
        summary: 'Import programmes from an XMLTV or Kaltura-flavour EPG document (ADMIN, MANAGER)',
        description:
          'Content-Type application/xml or text/xml. Programmes of channels whose epgId equals the XMLTV channel id are ' +
          'created or updated (programme epgId: its id attribute, else <channel>_<start UTC yyyymmddHHMMSS>); the rest are reported as skipped. ' +
          'A document whose root is <EpgChannels> is read as the Kaltura flavour (channel/@id, programme/@external_id, times YYYYMMDDhhmmss UTC; see docs/scheduling.md).',
        consumes: XML_TYPES,
        response: { 200: EpgReportSchema, ...errorResponses(400, 413, 415, 503) },
      },
    },
    async (request) => {
      if (typeof request.body !== 'string') {
        throw new HttpError(415, 'unsupported_media_type', 'Send the XMLTV document with Content-Type application/xml or text/xml.');
      }
      let parsed;
      try {
        parsed = parseEpgDocument(request.body);
      } catch (err) {
        if (err instanceof XmltvError) throw new BadRequestError(err.message);
        throw err;
      }
      try {
        return await domain.importPrograms(parsed.programmes, parsed.skipped);
      } catch (err) {
        throw toHttpError(err);
      }
    },
  );
};
