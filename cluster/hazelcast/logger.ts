// Routes the Hazelcast client's own log lines into our Logger (never to the console).
// The client is chatty at INFO (every connection attempt), so its INFO becomes our debug.
import type { ILogger } from 'hazelcast-client';
import { LogLevel } from 'hazelcast-client';
import type { Logger } from '../../domain/log.js';

function details(furtherInfo: unknown): object {
  if (furtherInfo === undefined || furtherInfo === null) return {};
  if (furtherInfo instanceof Error) return { err: { message: furtherInfo.message, name: furtherInfo.name } };
  return { info: String(furtherInfo) };
}

export interface HazelcastLoggerOptions {
  /** Sees every line (e.g. to explain a failed first connect). */
  onLine?: (level: LogLevel, message: string) => void;
  /** While true, client warnings become debug (reconnect attempts repeat every few seconds). */
  quiet?: () => boolean;
  /** Everything at debug (the first-connect probe, whose failure we report ourselves). */
  debugOnly?: boolean;
}

export function hazelcastLogger(log: Logger, opts: HazelcastLoggerOptions = {}): ILogger {
  const write = (level: LogLevel, objectName: string, message: string, furtherInfo?: unknown): void => {
    opts.onLine?.(level, message);
    const fields = { hz: objectName, ...details(furtherInfo) };
    if (opts.debugOnly) {
      if (level <= LogLevel.DEBUG) log.debug(fields, message);
    } else if (level === LogLevel.ERROR) log.error(fields, message);
    else if (level === LogLevel.WARN && !(opts.quiet?.() ?? false)) log.warn(fields, message);
    else if (level === LogLevel.WARN) log.debug(fields, message);
    else if (level === LogLevel.INFO || level === LogLevel.DEBUG) log.debug(fields, message);
  };
  return {
    log: (level, objectName, message, furtherInfo) => write(level, objectName, message, furtherInfo),
    error: (objectName, message, furtherInfo) => write(LogLevel.ERROR, objectName, message, furtherInfo),
    warn: (objectName, message, furtherInfo) => write(LogLevel.WARN, objectName, message, furtherInfo),
    info: (objectName, message, furtherInfo) => write(LogLevel.INFO, objectName, message, furtherInfo),
    debug: (objectName, message, furtherInfo) => write(LogLevel.DEBUG, objectName, message, furtherInfo),
    trace: () => {},
  };
}
