// GET /api/v1/domain/schemas: the entity schemas the domain routes validate with, plus each
// collection's references and unique fields — what the console's one generic list/form
// (docs/console.md) builds its columns, fields and relation pickers from.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { COLLECTIONS, COLLECTION_NAMES } from '../../../domain/routing/entities.js';
import { DOMAIN_ROLES } from './domain.js';

const ReferenceSchema = Type.Object({
  field: Type.String(),
  target: Type.String({ description: 'the collection referred to' }),
  many: Type.Boolean({ description: 'a list of ids' }),
  onDelete: Type.Union([Type.Literal('refuse'), Type.Literal('pull')]),
});

const CollectionSchema = Type.Object({
  name: Type.String({ description: 'path segment: /api/v1/{name}' }),
  singular: Type.String(),
  plural: Type.String(),
  record: Type.Unknown({ description: 'JSON schema of a stored record' }),
  create: Type.Unknown({ description: 'JSON schema of a POST/PUT body' }),
  references: Type.Array(ReferenceSchema),
  unique: Type.Array(Type.Array(Type.String())),
  derived: Type.Array(Type.String({ description: 'read-only, computed from other records' })),
});

export function domainSchemasDocument(): { collections: unknown[] } {
  return {
    collections: COLLECTION_NAMES.map((name) => {
      const info = COLLECTIONS[name];
      return {
        name,
        singular: info.singular,
        plural: info.plural,
        record: info.schemas.record,
        create: info.schemas.create,
        references: info.references.map(({ field, target, many, onDelete }) => ({ field, target, many, onDelete })),
        unique: info.unique.map((rule) => [...rule.fields]),
        derived: [...info.derived],
      };
    }),
  };
}

export const domainSchemaRoutes: FastifyPluginAsync = async (app) => {
  const document = domainSchemasDocument();
  app.get(
    '/api/v1/domain/schemas',
    {
      config: { roles: DOMAIN_ROLES },
      schema: {
        tags: ['domain'],
        summary: 'The entity schemas, references and unique fields of the domain model (ADMIN, MANAGER)',
        response: { 200: Type.Object({ collections: Type.Array(CollectionSchema) }) },
      },
    },
    async () => document,
  );
};
