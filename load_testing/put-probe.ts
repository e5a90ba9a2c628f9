// Times the MongoDB side of a bulk replace of the B6 model (issue 10): `replaceAll` into an
// empty model and again over it, per phase, with FerretDB's CPU — fed by the validation worker
// as the PUT does (records stored while it still validates), or validated first: `--inline` on
// this thread, `--worker-first` by the worker before anything is stored.
//   npx tsx load_testing/put-probe.ts [--records 70000] [--rounds 2] [--inline | --worker-first]
// Starts its own FerretDB in a temporary directory. Run it under the bench lock.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { emptyDomainModel, recordsOf, type AnyEntity, type DomainModel } from '../domain/routing/entities.js';
import { validateDomainModel } from '../domain/routing/validate.js';
import { startFerretDb } from '../persistence/ferretdb.js';
import { MongoDomainModelStore } from '../persistence/domain-model.js';
import { RawJsonBody, ValidationStream } from '../actors/routing/domain-model/validate-off-loop.js';
import { freePort } from '../test/support/ports.js';
import { generateDomainModel } from './fixture-model.js';

const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** Every record the worker hands out, once it said the model is valid. */
async function drained(stream: ValidationStream): Promise<DomainModel> {
  const model = emptyDomainModel();
  for await (const { collection, records } of stream) (recordsOf(model, collection) as AnyEntity[]).push(...records);
  return model;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      records: { type: 'string', default: '70000' },
      rounds: { type: 'string', default: '2' },
      inline: { type: 'boolean', default: false },
      'worker-first': { type: 'boolean', default: false },
    },
  });
  const records = Number(args.records);
  const rounds = Number(args.rounds);
  const dataDir = await mkdtemp(join(tmpdir(), 'beamstack-put-probe-'));
  const ferret = await startFerretDb({ port: await freePort(), dataDir });
  const client = new MongoClient(`${ferret.url}putprobe`, { directConnection: true });
  try {
    const store = new MongoDomainModelStore(client.db());
    await store.at();
    const doc = generateDomainModel({ seed: 3, subnets: 20_000, servers: 500, channels: 1_000, records });
    const body = Buffer.from(JSON.stringify(doc));
    const inline = args.inline;
    for (let round = 1; round <= rounds; round++) {
      const lag = monitorEventLoopDelay({ resolution: 5 });
      lag.enable();
      const f0 = processCpuMs(ferret.pid);
      const t0 = performance.now();
      let input: DomainModel | ValidationStream;
      if (inline) {
        const validation = validateDomainModel(JSON.parse(body.toString('utf8')));
        if (!validation.ok) throw new Error(JSON.stringify(validation.errors.slice(0, 3)));
        input = validation.model;
      } else if (args['worker-first']) input = await drained(new ValidationStream(new RawJsonBody(body)));
      else input = new ValidationStream(new RawJsonBody(body));
      const validated = performance.now() - t0;
      try {
        const result = await store.replaceAll(input);
        const ms = performance.now() - t0;
        lag.disable();
        await result.lookupIndexes;
        const lookupMs = performance.now() - t0 - ms;
        const validateMs = input instanceof ValidationStream ? input.verdictMs : Math.round(validated);
        console.log(
          `round ${round}: ${Math.round(ms)} ms (validation ${validateMs} ms; look-up indexes after it ${Math.round(lookupMs)} ms), ` +
            `event-loop delay max ${Math.round(lag.max / 1e6)} ms p99 ${Math.round(lag.percentile(99) / 1e6)} ms, ` +
            `FerretDB CPU ${processCpuMs(ferret.pid) - f0} ms, ` +
            `phases ${JSON.stringify(result.timings)}`,
        );
      } finally {
        if (input instanceof ValidationStream) input.close();
      }
    }
    console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  } finally {
    await client.close();
    await ferret.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
