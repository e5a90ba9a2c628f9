// The node's pino logger: JSON lines, the node name on every line, secrets redacted.
import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../../domain/config.js';
import { REDACT_PATHS as HTTP_REDACT_PATHS } from '../../gateway/shared/logging.js';

// The HTTP layer's paths plus what the node's own lines could carry.
const REDACT_PATHS = [...HTTP_REDACT_PATHS, '*.authorization', 'secretKeyBase', '*.secretKeyBase', 'mongodbUrl'];

export function createNodeLogger(nodeName: string, level: LogLevel): PinoLogger {
  return pino({
    level,
    base: { node: nodeName },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
