// Messages between a bulk replace and its validation worker (validate-worker.ts).
import type { AnyEntity, ModelKey } from '../../../domain/routing/entities.js';
import type { FieldError } from '../../../domain/routing/validate.js';

/** Records per message back: deserializing one costs the serving thread a few ms at most. */
export const RECORDS_PER_MESSAGE = 1000;

/** The raw JSON body (parsed in the worker), or an already parsed value (in-process callers). */
export type ValidateInput = { kind: 'json'; json: ArrayBuffer } | { kind: 'value'; doc: unknown };

/** To the worker: its input first (it may have been booted long before), then a request per next slice. */
export type ValidateRequest = { type: 'validate'; input: ValidateInput } | { type: 'next' };

/**
 * `records` are sent one at a time: after each the worker waits for any message back before it
 * sends the next, and `done` (the model is valid) comes after the last of them. `invalid` comes
 * as soon as it is known, ahead of records not sent yet (which are then never sent).
 */
export type ValidateOutput =
  { type: 'invalid'; errors: FieldError[] } | { type: 'records'; key: ModelKey; records: AnyEntity[] } | { type: 'done' };
