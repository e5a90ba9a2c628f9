// Validates a whole domain model in a worker thread (validate-worker.ts) so that a bulk
// replace never blocks the event loop that answers redirects (docs/routing.md, "Bulk load").
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { COLLECTION_BY_KEY, type AnyEntity, type CollectionName } from '../../../domain/routing/entities.js';
import type { FieldError } from '../../../domain/routing/validate.js';
import { DomainError } from '../errors.js';
import type { ValidateInput, ValidateOutput, ValidateRequest } from './validate-protocol.js';

const WORKER_URL = new URL(`./validate-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * The worker's first statement lowers its own thread to niceness 10 (on Linux a niceness is a
 * thread's, so the serving thread keeps its own): its boot (~1 s of CPU) and the validation are
 * background work, and on a busy machine the OS runs the thread answering redirects first
 * (docs/routing.md, "Bulk load"). Elsewhere a niceness is the whole process's, so it is left alone.
 */
const LOWER_PRIORITY = `if (process.platform === 'linux') { try { require('node:os').setPriority(10); } catch {} }`;

/**
 * Run from TypeScript sources (tsx), the worker needs tsx registered in its own thread: tsx's
 * `--import` hook only registers itself in the main thread. It waits for its input (a message).
 */
function bootWorker(): Worker {
  const load = (url: string): string => `import(${JSON.stringify(url)})`;
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(`${LOWER_PRIORITY} ${load(WORKER_URL.href)};`, { eval: true });
  // tsx's ESM API (its package exports map `tsx/esm/api` to this file for `import`).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsx = new URL('dist/esm/api/index.mjs', pathToFileURL(tsxPackage)).href;
  const boot = `${LOWER_PRIORITY} ${load(tsx)}.then((api) => { api.register(); return ${load(WORKER_URL.href)}; });`;
  return new Worker(boot, { eval: true });
}

/** A worker booted ahead of the next bulk replace, idle until then. */
let spare: Worker | undefined;

/**
 * Boots a worker for the next bulk replace unless one is ready: booting takes ~1 s of CPU
 * (loading the validation code), which that replace then does not wait for (docs/routing.md,
 * "Bulk load"). The idle worker does not keep the process alive.
 */
export function prepareValidationWorker(): void {
  if (spare !== undefined) return;
  const worker = bootWorker();
  worker.unref();
  const forget = (): void => {
    if (spare === worker) spare = undefined;
  };
  worker.once('exit', forget);
  worker.once('error', forget);
  spare = worker;
}

function takeWorker(): Worker {
  const worker = spare ?? bootWorker();
  spare = undefined;
  worker.ref();
  return worker;
}

/** A body of PUT /api/v1/domain as it came off the wire, not parsed yet. */
export class RawJsonBody {
  constructor(readonly bytes: Uint8Array) {}
}

function inputOf(doc: unknown): { input: ValidateInput; transfer: ArrayBuffer[] } {
  if (doc instanceof RawJsonBody) {
    // A copy the worker owns: the request's buffer may be a slice of a shared pool.
    const json = new ArrayBuffer(doc.bytes.byteLength);
    new Uint8Array(json).set(doc.bytes);
    return { input: { kind: 'json', json }, transfer: [json] };
  }
  return { input: { kind: 'value', doc }, transfer: [] };
}

/** The normalized records of one collection, checked on their own (derived fields absent). */
export interface ValidatedSlice {
  collection: CollectionName;
  records: AnyEntity[];
}

/** The DomainError of an invalid model (400), naming the first few problems. */
export function invalidModel(errors: readonly FieldError[]): DomainError {
  const count = errors.length;
  const first = errors
    .slice(0, 3)
    .map((e) => `${e.path} ${e.message}`)
    .join('; ');
  return new DomainError(
    'INVALID',
    `The domain model is invalid (${count} problem${count === 1 ? '' : 's'}): ${first}${count > 3 ? '; …' : ''}. Nothing was changed.`,
    [...errors],
  );
}

type Verdict = { ok: true } | { ok: false; errors: FieldError[] } | { failed: Error };

/**
 * Parses (a RawJsonBody) and validates `doc` in a worker thread, handing out the normalized
 * records while the rest is still checked (docs/routing.md, "Bulk load"). Iterating gives the
 * records collection by collection and ends once the whole model is known valid, or throws the
 * INVALID DomainError (or the worker's failure) as soon as it is known. `close` when done with it.
 */
export class ValidationStream implements AsyncIterable<ValidatedSlice> {
  private readonly worker: Worker;
  private readonly received: ValidatedSlice[] = [];
  private verdict: Verdict | undefined;
  private readonly waiting: Array<() => void> = [];
  /** Milliseconds from the start until the verdict (undefined while none). */
  verdictMs: number | undefined;

  constructor(doc: unknown) {
    const started = performance.now();
    const { input, transfer } = inputOf(doc);
    this.worker = takeWorker();
    this.worker.postMessage({ type: 'validate', input } satisfies ValidateRequest, transfer);
    const settle = (verdict: Verdict): void => {
      if (this.verdict !== undefined) return;
      this.verdict = verdict;
      this.verdictMs = Math.round(performance.now() - started);
      void this.worker.terminate();
      this.notify();
    };
    this.worker.on('message', (message: ValidateOutput) => {
      switch (message.type) {
        case 'records':
          this.received.push({ collection: COLLECTION_BY_KEY[message.key], records: message.records });
          this.notify();
          // The next slice once the event loop had its turn (redirects first).
          setImmediate(() => {
            if (this.verdict === undefined) this.worker.postMessage({ type: 'next' } satisfies ValidateRequest);
          });
          return;
        case 'invalid':
          settle({ ok: false, errors: message.errors });
          return;
        case 'done':
          settle({ ok: true });
          return;
      }
    });
    this.worker.once('error', (err) => settle({ failed: err }));
    this.worker.once('exit', (code) => settle({ failed: new Error(`the validation worker exited (code ${code}) before answering`) }));
  }

  private notify(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ValidatedSlice> {
    for (;;) {
      const verdict = this.verdict;
      if (verdict !== undefined && 'failed' in verdict) throw verdict.failed;
      if (verdict?.ok === false) throw invalidModel(verdict.errors);
      const slice = this.received.shift();
      if (slice !== undefined) yield slice;
      else if (verdict?.ok === true) return;
      else await this.changed();
    }
  }

  /**
   * What to answer for `err`, a failure while the model was stored: the INVALID error when the
   * model turns out invalid (bad input is a 400 whatever else went wrong), else `err`.
   */
  async explain(err: unknown): Promise<unknown> {
    if (err instanceof DomainError && err.code === 'INVALID') return err;
    while (this.verdict === undefined) await this.changed();
    const verdict = this.verdict;
    return 'ok' in verdict && !verdict.ok ? invalidModel(verdict.errors) : err;
  }

  /** Stops the worker (whatever it still does). */
  close(): void {
    if (this.verdict === undefined) this.verdict = { failed: new Error('the validation was stopped') };
    void this.worker.terminate();
  }
}
