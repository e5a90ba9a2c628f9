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

export function captureLogger(): CaptureLogger {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') lines.push({ level, msg: objOrMsg, fields: {} });
      else lines.push({ level, msg: msg ?? '', fields: objOrMsg });
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
