// Logging helpers for the HTTP servers: secrets never reach a log line, and URLs are logged
// without secret-looking query values.
import type { FastifyBaseLogger } from 'fastify';
import { redactQuery } from '../../domain/redact.js';

/** pino redact paths for anything that may carry a password or a token. */
export const REDACT_PATHS: string[] = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.cookie',
  'req.headers.cookie',
  'password',
  'passwordHash',
  'token',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.*.password',
  '*.*.token',
  'body.password',
  'req.body.password',
];

export const REDACT_CENSOR = '[redacted]';

/** A child logger that redacts REDACT_PATHS on top of what its parent does. */
export function redactingChild(logger: FastifyBaseLogger, bindings: Record<string, unknown>): FastifyBaseLogger {
  return logger.child(bindings, { redact: { paths: REDACT_PATHS, censor: REDACT_CENSOR } });
}

const SECRET_QUERY_KEY = /token|password|secret|sig|key|auth/i;

/** `/x?token=abc&a=1` → `/x?token=[redacted]&a=1`; long URLs are cut. */
export function sanitizeUrl(url: string, maxLength = 300): string {
  const q = url.indexOf('?');
  const out = q >= 0 ? `${url.slice(0, q)}?${redactQuery(url.slice(q + 1), SECRET_QUERY_KEY, REDACT_CENSOR)}` : url;
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}
