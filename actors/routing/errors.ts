// Outcomes of domain-model operations the caller must handle. They carry a stable `code` (the
// vocabulary of persistence errors) and field details, so the gateway maps them to HTTP
// without knowing this module's internals.
import { COLLECTIONS, type CollectionName } from '../../domain/routing/entities.js';
import type { FieldError } from '../../domain/routing/validate.js';

export type DomainErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Field paths relative to the request body (e.g. `servers[3].port`, `cidr`). */
    readonly details: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (collection: CollectionName, id: string): DomainError =>
  new DomainError('NOT_FOUND', `Unknown ${COLLECTIONS[collection].singular} "${id}".`);

export const unavailable = (what: string, message = `${what} is unavailable; try again later.`): DomainError =>
  new DomainError('UNAVAILABLE', message);

function fieldOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? err : {};
}

/**
 * A DomainError for a failure of the store or the cluster that the caller can act on (clash,
 * stale write, missing, store down); the original error for anything else (a bug).
 */
export function classifyStoreError(err: unknown, collection?: CollectionName): unknown {
  if (err instanceof DomainError) return err;
  const { code, fields, message } = fieldOf(err) as { code?: unknown; fields?: unknown; message?: unknown };
  const what = collection !== undefined ? COLLECTIONS[collection].singular : 'record';
  switch (code) {
    case 'DUPLICATE_KEY': {
      const names = Array.isArray(fields) ? fields.map(String) : [];
      const field = names.length > 0 ? names.join(' and ') : 'unique key';
      return new DomainError(
        'CONFLICT',
        `A ${what} with the same ${field} already exists.`,
        names.length > 0 ? [{ path: names[0]!, message: 'is already taken' }] : [],
      );
    }
    case 'VERSION_CONFLICT':
      return new DomainError('CONFLICT', `The ${what} was changed by someone else meanwhile; reload it and try again.`);
    case 'NOT_FOUND':
      return new DomainError('NOT_FOUND', typeof message === 'string' ? message : `Unknown ${what}.`);
    case 'CONFLICT':
      return new DomainError('CONFLICT', typeof message === 'string' ? message : 'Conflict.');
    case 'UNAVAILABLE':
      return unavailable('MongoDB', 'MongoDB is unavailable; the change was not made. Try again later.');
    default:
      return err;
  }
}
