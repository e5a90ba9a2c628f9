// What every ctl command shares: its errors (with exit codes), the output channels and a
// Logger that prints warnings as plain lines on stderr (operators read these, not pino JSON).
import type { LogFn, Logger } from '../../domain/log.js';
import { errorText } from '../../domain/errors.js';

/** Wrong arguments: exit code 2, with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not do its job (unreachable server, refused login…): exit code 1. */
export class CtlError extends Error {
  override name = 'CtlError';
}

export interface Output {
  /** Results (stdout). */
  out(line: string): void;
  /** Progress and problems (stderr). */
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * A Logger for libraries used by ctl: warnings and errors as `ctl: <message>`, info only when
 * verbose, nothing while `muted()` (e.g. while closing a connection on purpose).
 */
export function cliLogger(output: Output, verbose = false, muted: () => boolean = () => false): Logger {
  const line =
    (show: boolean): LogFn =>
    (first: object | string, msg?: string) => {
      if (!show || muted()) return;
      const text = typeof first === 'string' ? first : (msg ?? '');
      if (text !== '') output.err(`ctl: ${text}`);
    };
  const logger: Logger = {
    debug: line(false),
    info: line(verbose),
    warn: line(true),
    error: line(true),
    fatal: line(true),
    child: () => logger,
  };
  return logger;
}

export function messageOf(error: unknown): string {
  return errorText(error);
}
