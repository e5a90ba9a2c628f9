// Errors the persistence layer throws. Each carries a stable `code` so layers that may not
// import persistence/ (actors, gateway) can still tell them apart: UNAVAILABLE → 503,
// DUPLICATE_KEY / VERSION_CONFLICT → 409, NOT_FOUND → 404.
import { MongoError, MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';

export class StoreUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message = 'MongoDB is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export class DuplicateKeyError extends Error {
  readonly code = 'DUPLICATE_KEY';
  constructor(
    readonly collection: string,
    /** Entity field names of the clashing unique index (`id` for the primary key). */
    readonly fields: string[],
    readonly index: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${collection}: a record with the same ${fields.length > 0 ? fields.join(' + ') : 'unique key'} already exists`, options);
    this.name = 'DuplicateKeyError';
  }
}

export class VersionConflictError extends Error {
  readonly code = 'VERSION_CONFLICT';
  constructor(
    readonly collection: string,
    readonly id: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      `${collection}/${id}: version ${expectedVersion} is stale` +
        (actualVersion !== undefined ? ` (the stored version is ${actualVersion})` : ''),
    );
    this.name = 'VersionConflictError';
  }
}

export class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly collection: string,
    readonly id: string,
  ) {
    super(`${collection}/${id} does not exist`);
    this.name = 'NotFoundError';
  }
}

// Raw Node socket error codes that mean the connection to MongoDB is gone.
const SOCKET_ERROR_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
]);

/**
 * True when `err` means "MongoDB cannot be reached right now" (map to 503), as opposed to
 * a bad request or a bug. Server selection timing out is the usual case while Mongo is down.
 */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError || // includes timeouts and pool-cleared errors
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoNotConnectedError
  ) {
    return true;
  }
  if (err instanceof MongoError) return err.hasErrorLabel('ResetPool') || err.hasErrorLabel('SystemOverloadedError');
  // The driver sometimes lets a raw socket error through, e.g. EPIPE "This socket has been
  // ended by the other party" when the server died between two commands.
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

/**
 * E11000 from MongoDB and FerretDB alike. FerretDB v1 (SQLite) reports a unique clash caused
 * by an update/replace as InternalError "UNIQUE constraint failed: index '<table>_<name>'".
 */
export function isDuplicateKeyError(err: unknown): err is MongoError {
  if (!(err instanceof MongoError)) return false;
  if (err.code === 11000 || err.code === 11001) return true;
  return err.code === 1 && /UNIQUE constraint failed/.test(err.message);
}
