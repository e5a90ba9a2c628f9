// Messages between a bulk replace and its validation worker (validate-worker.ts).
import type { AnyEntity, ModelKey } from '../../../domain/routing/entities.js';
import type { FieldError } from '../../../domain/routing/validate.js';

/** Records per message back: deserializing one costs the serving thread a few ms at most. */
export const RECORDS_PER_MESSAGE = 1000;

/** The raw JSON body (parsed in the worker), or an already parsed value (in-process callers). */
export type ValidateInput = { kind: 'json'; json: ArrayBuffer } | { kind: 'value'; doc: unknown };

/** After each `records` message the worker waits for any message back before it sends the next. */
export type ValidateOutput =
  { type: 'invalid'; errors: FieldError[] } | { type: 'records'; key: ModelKey; records: AnyEntity[] } | { type: 'done' };
