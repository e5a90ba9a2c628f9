// Validates a whole domain model in a worker thread (validate-worker.ts) so that a bulk
// replace never blocks the event loop that answers redirects (docs/routing.md, "Bulk load").
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { emptyDomainModel, type AnyEntity, type ModelKey } from '../../../domain/routing/entities.js';
import type { ModelValidation } from '../../../domain/routing/validate.js';
import type { ValidateInput, ValidateOutput } from './validate-protocol.js';

const WORKER_URL = new URL(`./validate-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Run from TypeScript sources (tsx), the worker needs tsx registered in its own thread: tsx's
 * `--import` hook only registers itself in the main thread.
 */
function startWorker(input: ValidateInput, transfer: ArrayBuffer[]): Worker {
  const options = { workerData: input, transferList: transfer };
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, options);
  // tsx's ESM API (its package exports map `tsx/esm/api` to this file for `import`).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsx = new URL('dist/esm/api/index.mjs', pathToFileURL(tsxPackage)).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
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

/** Parses (a RawJsonBody) and validates `doc` off the event loop; the normalized model or every problem. */
export function validateOffLoop(doc: unknown): Promise<ModelValidation> {
  const { input, transfer } = inputOf(doc);
  const model = emptyDomainModel();
  const lists = model as unknown as Record<ModelKey, AnyEntity[]>;
  return new Promise<ModelValidation>((resolve, reject) => {
    let settled = false;
    const worker = startWorker(input, transfer);
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    worker.on('message', (message: ValidateOutput) => {
      switch (message.type) {
        case 'records':
          for (const record of message.records) lists[message.key].push(record);
          // The next slice once the event loop had its turn (redirects first).
          setImmediate(() => worker.postMessage('next'));
          return;
        case 'invalid':
          settle(() => resolve({ ok: false, errors: message.errors }));
          return;
        case 'done':
          settle(() => resolve({ ok: true, model: model }));
          return;
      }
    });
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the validation worker exited (code ${code}) before answering`))));
  });
}
