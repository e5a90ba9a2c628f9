// The worker thread of a bulk replace (docs/routing.md, "Bulk load"), possibly booted long
// before its input arrives (the spare of validate-off-loop.ts): parses the raw JSON body and
// validates the whole model away from the event loop that answers redirects. The
// normalized records go back a slice at a time as soon as they passed the checks of a single
// record — the serving thread stores them while the cross-record checks still run — each slice
// when the serving thread asks for it: a port drains every queued message in one go, so sending
// them all at once would make the serving thread deserialize the whole model in one block.
import { parentPort } from 'node:worker_threads';
import { COLLECTIONS } from '../../../domain/routing/entities.js';
import { validateInSlices } from '../../../domain/routing/validate.js';
import { RECORDS_PER_MESSAGE, type ValidateInput, type ValidateOutput, type ValidateRequest } from './validate-protocol.js';

function parsed(input: ValidateInput): { ok: true; doc: unknown } | { ok: false; message: string } {
  if (input.kind === 'value') return { ok: true, doc: input.doc };
  try {
    return { ok: true, doc: JSON.parse(Buffer.from(input.json).toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, message: `is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Messages waiting for the serving thread to ask: the first goes at once, then one per request. */
const outbox: ValidateOutput[] = [];
let asked = 1;

function flush(): void {
  while (asked > 0 && outbox.length > 0) {
    asked--;
    parentPort!.postMessage(outbox.shift()!);
  }
}

parentPort!.on('message', (request: ValidateRequest) => {
  if (request.type === 'validate') {
    void run(request.input);
    return;
  }
  asked++;
  flush();
});

/** Lets requests for the next slice in between validation steps. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function run(input: ValidateInput): Promise<void> {
  const body = parsed(input);
  if (!body.ok) {
    parentPort!.postMessage({ type: 'invalid', errors: [{ path: '', message: body.message }] } satisfies ValidateOutput);
    return;
  }
  const steps = validateInSlices(body.doc, RECORDS_PER_MESSAGE);
  for (;;) {
    const step = steps.next();
    if (step.done === true) {
      if (step.value.ok) {
        outbox.push({ type: 'done' });
        flush();
      } else {
        outbox.length = 0;
        parentPort!.postMessage({ type: 'invalid', errors: step.value.errors } satisfies ValidateOutput);
      }
      return;
    }
    outbox.push({ type: 'records', key: COLLECTIONS[step.value.collection].key, records: step.value.records });
    flush();
    await turn();
  }
}
