// A Logger that records every line (level + message + fields) for assertions.
import type { Logger } from '../../domain/log.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg: string;
  fields: object;
}

export interface CaptureLogger extends Logger {
  lines: LogLine[];
  /** Every line serialized, for "no secret anywhere" checks. */
  text(): string;
}

/** Lines kept (the oldest half goes when it is exceeded). */
const LINES_KEPT = 100_000;

export function captureLogger(): CaptureLogger {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') lines.push({ level, msg: objOrMsg, fields: {} });
      else lines.push({ level, msg: msg ?? '', fields: objOrMsg });
      // Bounded: something left logging in a loop must not take the test process's heap with it.
      if (lines.length > LINES_KEPT) lines.splice(0, lines.length - LINES_KEPT / 2);
    };
  const logger: CaptureLogger = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
    text: () => lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields)}`).join('\n'),
  };
  return logger;
}
