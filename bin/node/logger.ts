// The node's pino logger: JSON lines, the node name on every line, secrets redacted.
import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../../domain/config.js';

const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'secretKeyBase',
  '*.secretKeyBase',
  'mongodbUrl',
];

export function createNodeLogger(nodeName: string, level: LogLevel): PinoLogger {
  return pino({
    level,
    base: { node: nodeName },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
