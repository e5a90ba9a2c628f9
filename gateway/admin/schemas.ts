// Shared typebox schemas of the admin API: the error body and helpers for route docs.
import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorDetailSchema = Type.Object({
  path: Type.String({ description: 'where the problem is, e.g. body.email' }),
  message: Type.String(),
});

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'short code, e.g. not_found' }),
    message: Type.String({ description: 'a sentence for humans' }),
    details: Type.Optional(Type.Array(ErrorDetailSchema)),
  },
  { description: 'Every error of the admin API has this shape.' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (details name each bad field)',
  401: 'No, bad or expired token',
  403: 'Role not allowed',
  404: 'Unknown id or route',
  409: 'Conflict (unique clash or refused delete)',
  413: 'Body too large',
  429: 'Rate limited (see Retry-After)',
  503: 'A dependency is down (the message says which)',
};

/** `response` entries documenting the given error statuses with ErrorSchema. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of statuses) {
    out[status] = Type.Object(ErrorSchema.properties, { description: ERROR_DESCRIPTIONS[status] ?? 'Error' });
  }
  return out;
}

export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const PageQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
