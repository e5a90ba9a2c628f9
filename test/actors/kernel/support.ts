// Test helpers for the kernel: a logger that records, a deferred, and a bounded wait.
import type { Logger } from '../../../domain/log.js';
import { waitFor } from '../../support/wait.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  fields: Record<string, unknown>;
  msg: string | undefined;
}

export function recordingLogger(
  records: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): Logger & {
  records: LogRecord[];
} {
  const at =
    (level: LogRecord['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') records.push({ level, fields: { ...bindings }, msg: objOrMsg });
      else records.push({ level, fields: { ...bindings, ...(objOrMsg as Record<string, unknown>) }, msg });
    };
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => recordingLogger(records, { ...bindings, ...more }),
  };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves once `condition()` holds; fails the test after `timeoutMs` (a bound, not a sleep). */
export async function until(condition: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  await waitFor(what, timeoutMs, condition, { everyMs: 2, retryErrors: false });
}
