// Outcomes of user management the caller must handle. They carry a stable `code` (the same
// vocabulary as persistence errors) so the gateway maps them to HTTP without knowing this module.

export type UsersErrorCode = 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT' | 'INVALID' | 'UNAVAILABLE';

export class UsersError extends Error {
  constructor(
    readonly code: UsersErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UsersError';
  }
}

export const userNotFound = (id: string): UsersError => new UsersError('NOT_FOUND', `User ${id} does not exist.`);

/** The users store (MongoDB) or the users actor cannot answer right now. */
export class UsersUnavailableError extends UsersError {
  constructor(
    /** What is down, named in the message (e.g. `mongodb`, `users actor`). */
    readonly dependency: string,
    message = `${dependency} is unavailable; try again later.`,
  ) {
    super('UNAVAILABLE', message);
    this.name = 'UsersUnavailableError';
  }
}

function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/**
 * Turns an error from the UsersPort into a UsersError when it is one the caller can act on
 * (clash, stale write, missing, store down); returns undefined for anything else (a bug).
 */
export function classifyPortError(err: unknown, context: { email?: string; id?: string }): UsersError | undefined {
  if (err instanceof UsersError) return err;
  switch (codeOf(err)) {
    case 'DUPLICATE_KEY':
      return new UsersError(
        'CONFLICT',
        context.email !== undefined ? `A user with email ${context.email} already exists.` : 'A user with that email already exists.',
      );
    case 'VERSION_CONFLICT':
      return new UsersError('CONFLICT', 'The user was changed by someone else meanwhile; reload and try again.');
    case 'NOT_FOUND':
      return context.id !== undefined ? userNotFound(context.id) : new UsersError('NOT_FOUND', 'User not found.');
    case 'UNAVAILABLE':
      return new UsersUnavailableError('mongodb', 'mongodb is unavailable; try again later.');
    default:
      return undefined;
  }
}
