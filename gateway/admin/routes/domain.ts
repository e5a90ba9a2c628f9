// The redirect domain model over HTTP (docs/api.md): per collection list/create/read/
// replace/patch/delete, and the whole model as one document (GET and PUT /api/v1/domain).
// Bodies are checked against the typebox schemas here (names every bad field); references,
// unique fields and cross-record rules are checked by the domain-model actor.
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { RawJsonBody, type DomainService } from '../../../actors/routing/index.js';
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  DomainModelSchema,
  SERVER_MANAGED_FIELDS,
  type CollectionName,
} from '../../../domain/routing/entities.js';
import { DEFAULT_DOMAIN_BODY_LIMIT_MB } from '../../../domain/config.js';
import { HttpError } from '../../shared/errors.js';
import { errorResponses } from '../schemas.js';
import { toHttpError } from './domain-errors.js';

export interface DomainRoutesOptions {
  domain: DomainService;
  /** Largest `PUT /api/v1/domain` body in MiB (DOMAIN_BODY_LIMIT_MB); default DEFAULT_DOMAIN_BODY_LIMIT_MB. */
  bodyLimitMb?: number;
}

/** ADMIN and MANAGER edit the domain model; replacing all of it is ADMIN only. */
export const DOMAIN_ROLES = ['ADMIN', 'MANAGER'] as const;
const MIB = 1024 * 1024;
const DEFAULT_LIMIT = 100;

type Params = { id: string };
type Rec = Record<string, unknown>;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128, description: 'record id' }) });

const CountsSchema = Type.Object(Object.fromEntries(COLLECTION_NAMES.map((c) => [COLLECTIONS[c].key, Type.Integer()])), {
  description: 'records stored per collection',
});

/** A copy of a property schema fit for a query string: no default (it would become a filter), no readOnly. */
function queryField(schema: TSchema): TSchema {
  const copy: Rec = { ...(schema as unknown as Rec) };
  delete copy.default;
  delete copy.readOnly;
  return Type.Optional(copy as unknown as TSchema);
}

/** The fields a list sorts by (its own scalar fields) and searches in (its text fields). */
export function listFields(collection: CollectionName): { sortable: string[]; searchable: string[] } {
  const info = COLLECTIONS[collection];
  const skip = new Set<string>([...SERVER_MANAGED_FIELDS, ...info.derived]);
  const sortable: string[] = [];
  const searchable: string[] = [];
  for (const [key, schema] of Object.entries(info.schemas.record.properties)) {
    if (skip.has(key)) continue;
    const s = schema as unknown as Rec;
    if (s.type === 'string' || s.type === 'integer' || s.type === 'boolean' || Array.isArray(s.anyOf)) sortable.push(key);
    if (s.type === 'string') searchable.push(key);
  }
  return { sortable, searchable };
}

/**
 * `?limit=&offset=&sort=&q=&<field>=<value>`: equality on the collection's own scalar fields
 * (an id list matches when it contains the value), order by one field (`-` first: descending;
 * then by id), and `q` found in any text field, ignoring case.
 */
export function listQuerySchema(collection: CollectionName): TObject {
  const info = COLLECTIONS[collection];
  const skip = new Set<string>([...SERVER_MANAGED_FIELDS, ...info.derived]);
  const { sortable, searchable } = listFields(collection);
  const props: Record<string, TSchema> = {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_LIMIT, description: 'page size' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'records to skip' })),
    sort: Type.Optional(
      Type.Union(
        sortable.flatMap((field) => [Type.Literal(field), Type.Literal(`-${field}`)]),
        { description: 'order by this field (then id); a leading - sorts descending' },
      ),
    ),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: `records with this text in ${searchable.join(', ')} (any case)` }),
    ),
  };
  for (const [key, schema] of Object.entries(info.schemas.record.properties)) {
    if (skip.has(key)) continue;
    const s = schema as unknown as Rec;
    if (s.type === 'array') {
      props[key] = Type.Optional(Type.String({ maxLength: 128, description: `records whose ${key} contains this id` }));
    } else if (sortable.includes(key)) {
      props[key] = queryField(schema);
    }
  }
  return Type.Object(props, { additionalProperties: false });
}

function pageSchema(collection: CollectionName): TObject {
  return Type.Object({ items: Type.Array(COLLECTIONS[collection].schemas.record), total: Type.Integer() });
}

/** Accepts any body: validateDomainModel checks the whole document and names every problem. */
const acceptAnyBody = () => (value: unknown) => ({ value });

/** The 413 of an oversized model names the limit and how to raise it (docs/api.md). */
function domainBodyTooLarge(limitMb: number): HttpError {
  return new HttpError(
    413,
    'payload_too_large',
    `The domain model is larger than ${limitMb} MiB, the limit of PUT /api/v1/domain; raise DOMAIN_BODY_LIMIT_MB on the node to load it.`,
  );
}

export const domainRoutes: FastifyPluginAsync<DomainRoutesOptions> = async (
  app,
  { domain, bodyLimitMb = DEFAULT_DOMAIN_BODY_LIMIT_MB },
) => {
  const bodyLimit = bodyLimitMb * MIB;
  for (const collection of COLLECTION_NAMES) {
    const info = COLLECTIONS[collection];
    const base = `/api/v1/${collection}`;
    const tags = ['domain'];
    const record = info.schemas.record;
    const config = { roles: DOMAIN_ROLES };

    app.get<{ Querystring: Rec }>(
      base,
      {
        config,
        schema: {
          tags,
          summary: `List ${info.plural} (ADMIN, MANAGER)`,
          description: 'Sorted by id unless `sort` names a field. Filters: equality on any field, e.g. ?status=ACTIVE; `q`: text search.',
          querystring: listQuerySchema(collection),
          response: { 200: pageSchema(collection), ...errorResponses(400, 503) },
        },
      },
      async (request) => {
        const { limit, offset, sort, q, ...filter } = request.query;
        try {
          return await domain.list(collection, {
            filter: filter as Record<string, string | number | boolean>,
            limit: typeof limit === 'number' ? limit : DEFAULT_LIMIT,
            offset: typeof offset === 'number' ? offset : 0,
            ...(typeof sort === 'string' ? { sort: { field: sort.replace(/^-/, ''), descending: sort.startsWith('-') } } : {}),
            ...(typeof q === 'string' ? { search: { text: q, fields: listFields(collection).searchable } } : {}),
          });
        } catch (err) {
          throw toHttpError(err);
        }
      },
    );

    app.post<{ Body: Rec }>(
      base,
      {
        config,
        schema: {
          tags,
          summary: `Create a ${info.singular} (ADMIN, MANAGER)`,
          description: 'The id is generated (uuid v7) unless given.',
          body: info.schemas.create,
          response: { 201: record, ...errorResponses(400, 409, 503) },
        },
      },
      async (request, reply) => {
        try {
          return reply.code(201).send(await domain.create(collection, request.body));
        } catch (err) {
          throw toHttpError(err);
        }
      },
    );

    app.get<{ Params: Params }>(
      `${base}/:id`,
      {
        config,
        schema: {
          tags,
          summary: `Read a ${info.singular} (ADMIN, MANAGER)`,
          params: IdParams,
          response: { 200: record, ...errorResponses(404, 503) },
        },
      },
      async (request) => {
        try {
          return await domain.get(collection, request.params.id);
        } catch (err) {
          throw toHttpError(err);
        }
      },
    );

    app.put<{ Params: Params; Body: Rec }>(
      `${base}/:id`,
      {
        config,
        schema: {
          tags,
          summary: `Replace a ${info.singular} (ADMIN, MANAGER)`,
          description: 'The whole record; fields left out take their defaults or are removed.',
          params: IdParams,
          body: info.schemas.replace,
          response: { 200: record, ...errorResponses(400, 404, 409, 503) },
        },
      },
      async (request) => {
        try {
          return await domain.replace(collection, request.params.id, request.body);
        } catch (err) {
          throw toHttpError(err);
        }
      },
    );

    app.patch<{ Params: Params; Body: Rec }>(
      `${base}/:id`,
      {
        config,
        schema: {
          tags,
          summary: `Change some fields of a ${info.singular} (ADMIN, MANAGER)`,
          params: IdParams,
          body: info.schemas.patch,
          response: { 200: record, ...errorResponses(400, 404, 409, 503) },
        },
      },
      async (request) => {
        try {
          return await domain.patch(collection, request.params.id, request.body);
        } catch (err) {
          throw toHttpError(err);
        }
      },
    );

    app.delete<{ Params: Params }>(
      `${base}/:id`,
      {
        config,
        schema: {
          tags,
          summary: `Delete a ${info.singular} (ADMIN, MANAGER)`,
          description: 'Refused (409) while other records refer to it; the message names them.',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(404, 409, 503) },
        },
      },
      async (request, reply) => {
        try {
          await domain.remove(collection, request.params.id);
        } catch (err) {
          throw toHttpError(err);
        }
        return reply.code(204).send();
      },
    );
  }

  app.get(
    '/api/v1/domain',
    {
      config: { roles: DOMAIN_ROLES },
      schema: {
        tags: ['domain'],
        summary: 'The whole domain model as one document (ADMIN, MANAGER)',
        response: { 200: DomainModelSchema, ...errorResponses(503) },
      },
    },
    async () => {
      try {
        return await domain.getModel();
      } catch (err) {
        throw toHttpError(err);
      }
    },
  );

  // The body stays raw here: the domain model actor parses and validates it in a worker thread,
  // so a 30 MB model never blocks the event loop that answers redirects (docs/routing.md, "Bulk load").
  await app.register(async (bulk) => {
    bulk.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
      done(null, new RawJsonBody(body as Buffer));
    });
    // Thrown on to the admin error handler, which answers HttpErrors as they are.
    bulk.setErrorHandler((error) => {
      throw (error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? domainBodyTooLarge(bodyLimitMb) : error;
    });
    bulk.put<{ Body: unknown }>(
      '/api/v1/domain',
      {
        config: { roles: ['ADMIN'] },
        bodyLimit,
        validatorCompiler: acceptAnyBody,
        schema: {
          tags: ['domain'],
          summary: 'Replace the whole domain model (ADMIN)',
          description:
            'Validates everything first (schemas, unique fields, references); invalid → 400 naming every problem and nothing changes. ' +
            'Otherwise the new model replaces the old one at once, on every node.',
          body: DomainModelSchema,
          response: {
            200: Type.Object({
              counts: CountsSchema,
              generation: Type.Optional(
                Type.Integer({
                  description: 'the cluster map generation now served (GET /api/v1/routing/explain shows the one a node uses)',
                }),
              ),
            }),
            ...errorResponses(400, 409, 413, 503),
          },
        },
      },
      async (request) => {
        try {
          const result = await domain.replaceModel(request.body);
          return { counts: result.counts, ...(result.generation !== undefined ? { generation: result.generation } : {}) };
        } catch (err) {
          throw toHttpError(err);
        }
      },
    );
  });
};
