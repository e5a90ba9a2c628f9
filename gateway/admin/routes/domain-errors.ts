// Domain-model failures → the admin API's JSON errors, keeping the field details.
import { DomainError, type DomainErrorCode } from '../../../actors/routing/errors.js';
import { HttpError } from '../../shared/errors.js';

const STATUS: Record<DomainErrorCode, { status: number; error: string }> = {
  INVALID: { status: 400, error: 'validation_failed' },
  NOT_FOUND: { status: 404, error: 'not_found' },
  CONFLICT: { status: 409, error: 'conflict' },
  UNAVAILABLE: { status: 503, error: 'service_unavailable' },
};

/** An HttpError for a DomainError (details under `body.`); anything else is passed through. */
export function toHttpError(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  const { status, error } = STATUS[err.code];
  const details = err.details.map((d) => ({ path: d.path ? `body.${d.path}` : 'body', message: d.message }));
  return new HttpError(status, error, err.message, details.length > 0 ? details : undefined, status === 503 ? { 'retry-after': '5' } : {});
}
