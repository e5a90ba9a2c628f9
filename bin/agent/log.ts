// The agent's log: one line per event, `<ISO time> <LEVEL> <message> key=value…`, info on
// stdout and warnings/errors on stderr (a service manager keeps both). Callers never pass the
// token; values are quoted when they contain spaces.
export type Level = 'INFO' | 'WARN' | 'ERROR';

export interface AgentLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function format(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export function lineOf(level: Level, message: string, fields: Record<string, unknown> = {}, now = new Date()): string {
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${format(value)}`);
  return [now.toISOString(), level, message, ...pairs].join(' ');
}

export function consoleLog(
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): AgentLog {
  return {
    info: (message, fields) => out(lineOf('INFO', message, fields)),
    warn: (message, fields) => err(lineOf('WARN', message, fields)),
    error: (message, fields) => err(lineOf('ERROR', message, fields)),
  };
}
