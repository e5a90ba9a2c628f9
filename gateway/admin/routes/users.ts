// Users: ADMIN manages everyone; any user may read and change their own name and password
// (the users actor enforces the rules; `roles` here only answers 403 early).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../../actors/auth/index.js';
import {
  CreateUserBodySchema,
  PatchUserBodySchema,
  PublicUserSchema,
  type CreateUserBody,
  type PatchUserBody,
} from '../../../domain/auth/index.js';
import { callerOf } from '../auth.js';
import { errorResponses, IdParamsSchema, PageQuerySchema } from '../schemas.js';

export interface UserRoutesOptions {
  auth: Pick<AuthService, 'listUsers' | 'getUser' | 'createUser' | 'updateUser' | 'deleteUser'>;
}

type IdParams = { id: string };
type PageQuery = { limit?: number; offset?: number };

export const UsersPageSchema = Type.Object({ items: Type.Array(PublicUserSchema), total: Type.Integer() });

export const userRoutes: FastifyPluginAsync<UserRoutesOptions> = async (app, { auth }) => {
  app.get<{ Querystring: PageQuery }>(
    '/api/v1/users',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['users'],
        summary: 'List users (ADMIN)',
        querystring: PageQuerySchema,
        response: { 200: UsersPageSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => auth.listUsers(callerOf(request), { limit: request.query.limit ?? 100, offset: request.query.offset ?? 0 }),
  );

  app.post<{ Body: CreateUserBody }>(
    '/api/v1/users',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['users'],
        summary: 'Create a user (ADMIN)',
        body: CreateUserBodySchema,
        response: { 201: PublicUserSchema, ...errorResponses(400, 409, 503) },
      },
    },
    async (request, reply) => {
      const user = await auth.createUser(callerOf(request), request.body);
      return reply.code(201).send(user);
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Read a user (ADMIN, or yourself)',
        params: IdParamsSchema,
        response: { 200: PublicUserSchema, ...errorResponses(404, 503) },
      },
    },
    async (request) => auth.getUser(callerOf(request), request.params.id),
  );

  app.patch<{ Params: IdParams; Body: PatchUserBody }>(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user (ADMIN; yourself: name and password only; nobody demotes themselves)',
        params: IdParamsSchema,
        body: PatchUserBodySchema,
        response: { 200: PublicUserSchema, ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request) => auth.updateUser(callerOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>(
    '/api/v1/users/:id',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['users'],
        summary: 'Delete a user (ADMIN; not yourself)',
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(404, 503) },
      },
    },
    async (request, reply) => {
      await auth.deleteUser(callerOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
};
