// The worker thread of a bulk replace (docs/routing.md, "Bulk load"): parses the raw JSON
// body and validates the whole model away from the event loop that answers redirects, then
// sends the normalized model back a slice at a time, each when the serving thread asks for it:
// a port drains every queued message in one go, so sending them all at once would make the
// serving thread deserialize the whole model in one block after all.
import { parentPort, workerData } from 'node:worker_threads';
import { COLLECTIONS, COLLECTION_NAMES, recordsOf } from '../../../domain/routing/entities.js';
import { validateDomainModel } from '../../../domain/routing/validate.js';
import { RECORDS_PER_MESSAGE, type ValidateInput, type ValidateOutput } from './validate-protocol.js';

function send(message: ValidateOutput): void {
  parentPort!.postMessage(message);
}

function parsed(input: ValidateInput): { ok: true; doc: unknown } | { ok: false; message: string } {
  if (input.kind === 'value') return { ok: true, doc: input.doc };
  try {
    return { ok: true, doc: JSON.parse(Buffer.from(input.json).toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, message: `is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Resolves when the serving thread asks for the next slice. */
function nextRequested(): Promise<void> {
  return new Promise((resolve) => parentPort!.once('message', () => resolve()));
}

async function run(input: ValidateInput): Promise<void> {
  const body = parsed(input);
  if (!body.ok) {
    send({ type: 'invalid', errors: [{ path: '', message: body.message }] });
    return;
  }
  const validation = validateDomainModel(body.doc);
  if (!validation.ok) {
    send({ type: 'invalid', errors: validation.errors });
    return;
  }
  for (const collection of COLLECTION_NAMES) {
    const records = recordsOf(validation.model, collection);
    for (let i = 0; i < records.length; i += RECORDS_PER_MESSAGE) {
      send({ type: 'records', key: COLLECTIONS[collection].key, records: records.slice(i, i + RECORDS_PER_MESSAGE) });
      await nextRequested();
    }
  }
  send({ type: 'done' });
}

void run(workerData as ValidateInput);
