// HTTP errors any route (admin API, chat, video) throws; the admin error handler turns them
// into `{ error, message, details? }` with the status they carry.

export interface ErrorDetail {
  /** Where the problem is, e.g. `body.email` or `params.id`. */
  path: string;
  message: string;
}

/** The JSON body of every admin API error. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: ErrorDetail[];
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    /** Short machine-readable code, e.g. `not_found`. */
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): ErrorBody {
    return this.details && this.details.length > 0
      ? { error: this.code, message: this.message, details: this.details }
      : { error: this.code, message: this.message };
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'bad_request', message, details);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'Authentication required: send a valid bearer token.') {
    super(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'Your role is not allowed to do this.') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'Not found.') {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, 'too_many_requests', message, undefined, { 'retry-after': String(seconds) });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(
    /** The dependency that is down, named in the message (e.g. `mongodb`, `cluster store`). */
    readonly dependency: string,
    message = `${dependency} is unavailable; try again later.`,
  ) {
    super(503, 'service_unavailable', message);
  }
}

/**
 * Errors from actors/persistence are not HttpErrors (those layers do not know HTTP); they
 * carry a stable `code`. This table maps those codes to a status and a public error code.
 */
const DOMAIN_CODES: Record<string, { status: number; error: string }> = {
  NOT_FOUND: { status: 404, error: 'not_found' },
  FORBIDDEN: { status: 403, error: 'forbidden' },
  CONFLICT: { status: 409, error: 'conflict' },
  DUPLICATE_KEY: { status: 409, error: 'conflict' },
  VERSION_CONFLICT: { status: 409, error: 'conflict' },
  REFERENCED: { status: 409, error: 'conflict' },
  INVALID: { status: 400, error: 'bad_request' },
  UNAVAILABLE: { status: 503, error: 'service_unavailable' },
};

/** An HttpError for a domain error that carries a known `code`, else undefined. */
export function fromDomainError(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return undefined;
  const mapped = DOMAIN_CODES[code];
  if (mapped === undefined) return undefined;
  const text = typeof message === 'string' && message.length > 0 ? message : mapped.error;
  return new HttpError(mapped.status, mapped.error, text);
}
