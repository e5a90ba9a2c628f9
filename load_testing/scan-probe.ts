// Measures how long reading the B6 domain model from MongoDB/FerretDB takes, and where the time
// goes (issue 10): the rejoin's scan code, find() with several batch sizes, with and without a
// projection, collections in parallel on separate connections, and the CPU of FerretDB (from
// /proc) against the node's (BSON decode, our record mapping).
//   npx tsx load_testing/scan-probe.ts [--records 70000] [--url mongodb://…/db] [--stored-only]
// Without --url it starts its own FerretDB in a temporary directory and loads the B6 model into it.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient, type Db } from 'mongodb';
import { COLLECTION_NAMES, type CollectionName } from '../domain/routing/entities.js';
import { startFerretDb, type FerretDbProcess } from '../persistence/ferretdb.js';
import { MongoDomainModelStore, domainCollectionName, type DomainGeneration } from '../persistence/domain-model.js';
import { freePort } from '../test/support/ports.js';
import { generateDomainModel } from './fixture-model.js';

interface Sample {
  ms: number;
  docs: number;
  bytes: number;
  /** CPU seconds of the FerretDB process and of this process during the read. */
  ferretCpuMs: number;
  nodeCpuMs: number;
}

const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime, stime are fields 14 and 15 (1-based) of the whole line: 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

async function measure(ferretPid: number | undefined, read: () => Promise<{ docs: number; bytes: number }>): Promise<Sample> {
  const f0 = ferretPid === undefined ? 0 : processCpuMs(ferretPid);
  const n0 = process.cpuUsage();
  const t0 = performance.now();
  const { docs, bytes } = await read();
  const ms = performance.now() - t0;
  const n = process.cpuUsage(n0);
  return {
    ms,
    docs,
    bytes,
    ferretCpuMs: ferretPid === undefined ? 0 : processCpuMs(ferretPid) - f0,
    nodeCpuMs: (n.user + n.system) / 1000,
  };
}

/** Raw BSON batches (no decode in the driver): what FerretDB and the wire cost alone. */
async function readRaw(db: Db, name: string, batchSize: number, projection?: Record<string, 1>): Promise<{ docs: number; bytes: number }> {
  const cursor = db.collection(name).find({}, { batchSize, raw: true, ...(projection ? { projection } : {}) });
  let docs = 0;
  let bytes = 0;
  for await (const raw of cursor) {
    docs++;
    bytes += (raw as unknown as Buffer).length;
  }
  return { docs, bytes };
}

/** Decoded by the driver (what a plain find() costs the node). */
async function readDecoded(
  db: Db,
  name: string,
  batchSize: number,
  projection?: Record<string, 1>,
): Promise<{ docs: number; bytes: number }> {
  const cursor = db.collection(name).find({}, { batchSize, ...(projection ? { projection } : {}) });
  let docs = 0;
  for await (const doc of cursor) if (doc._id !== undefined) docs++;
  return { docs, bytes: 0 };
}

function row(label: string, s: Sample): string {
  const perDocUs = s.docs > 0 ? (s.ferretCpuMs * 1000) / s.docs : 0;
  const perKb = s.bytes > 0 ? (s.ferretCpuMs * 1024) / s.bytes : 0;
  return [
    label.padEnd(44),
    `${s.ms.toFixed(0).padStart(7)} ms`,
    `${String(s.docs).padStart(7)} docs`,
    `${(s.bytes / 1e6).toFixed(1).padStart(6)} MB`,
    `ferret cpu ${s.ferretCpuMs.toFixed(0).padStart(6)} ms`,
    `node cpu ${s.nodeCpuMs.toFixed(0).padStart(6)} ms`,
    s.bytes > 0 ? `${perDocUs.toFixed(1)} µs/doc, ${perKb.toFixed(3)} ms/KB (ferret)` : '',
  ].join('  ');
}

/** The full-scan variants (the table in docs/performance.md, "B6: where the read goes"). */
async function scans(
  db: Db,
  url: string,
  gen: DomainGeneration,
  names: Map<CollectionName, string>,
  pid: number | undefined,
): Promise<void> {
  const total = (samples: Sample[]): Sample =>
    samples.reduce(
      (a, s) => ({
        ms: a.ms + s.ms,
        docs: a.docs + s.docs,
        bytes: a.bytes + s.bytes,
        ferretCpuMs: a.ferretCpuMs + s.ferretCpuMs,
        nodeCpuMs: a.nodeCpuMs + s.nodeCpuMs,
      }),
      { ms: 0, docs: 0, bytes: 0, ferretCpuMs: 0, nodeCpuMs: 0 },
    );
  console.log('\n== per collection, raw BSON, batchSize 5000 (FerretDB cost per document and per byte) ==');
  const perCollection: Sample[] = [];
  for (const [collection, name] of names) {
    const s = await measure(pid, () => readRaw(db, name, 5000));
    perCollection.push(s);
    console.log(row(collection, s));
  }
  console.log(row('TOTAL', total(perCollection)));

  console.log('\n== whole model, one collection after the other ==');
  const sequential = async (label: string, read: (name: string) => Promise<{ docs: number; bytes: number }>): Promise<void> => {
    const s = await measure(pid, async () => {
      let docs = 0;
      let bytes = 0;
      for (const name of names.values()) {
        const r = await read(name);
        docs += r.docs;
        bytes += r.bytes;
      }
      return { docs, bytes };
    });
    console.log(row(label, s));
  };
  await sequential('current scan code (gen.scan 5000, decoded)', async (name) => {
    const collection = [...names].find(([, n]) => n === name)![0];
    let docs = 0;
    for await (const batch of gen.scan(collection, 5000)) docs += batch.length;
    return { docs, bytes: 0 };
  });
  for (const batchSize of [1000, 5000, 1_000_000]) {
    await sequential(`find raw, batchSize ${batchSize === 1_000_000 ? '16 MiB' : batchSize}`, (name) => readRaw(db, name, batchSize));
  }
  await sequential('find decoded, batchSize 16 MiB', (name) => readDecoded(db, name, 1_000_000));
  await sequential('find raw, projection {_id} , 16 MiB', (name) => readRaw(db, name, 1_000_000, { _id: 1 }));
  await sequential('find raw, projection {version,createdAt}', (name) => readRaw(db, name, 1_000_000, { version: 1, createdAt: 1 }));

  console.log('\n== node-side decode alone (BSON.deserialize of the raw documents) ==');
  for (const [collection, name] of names) {
    const raws: Buffer[] = [];
    for await (const raw of db.collection(name).find({}, { batchSize: 1_000_000, raw: true })) raws.push(raw as unknown as Buffer);
    const t0 = performance.now();
    for (const raw of raws) BSON.deserialize(raw);
    const decodeMs = performance.now() - t0;
    const t1 = performance.now();
    for (const raw of raws) JSON.stringify(BSON.deserialize(raw));
    const withJsonMs = performance.now() - t1;
    console.log(
      `${collection.padEnd(20)} ${String(raws.length).padStart(7)} docs  decode ${decodeMs.toFixed(0)} ms, decode + JSON.stringify ${withJsonMs.toFixed(0)} ms`,
    );
  }

  console.log('\n== collections in parallel, one connection each ==');
  for (const batchSize of [5000, 1_000_000]) {
    const clients = await Promise.all([...names].map(() => new MongoClient(url, { directConnection: true, maxPoolSize: 1 }).connect()));
    try {
      const s = await measure(pid, async () => {
        const parts = await Promise.all([...names.values()].map((name, i) => readRaw(clients[i]!.db(), name, batchSize)));
        return parts.reduce((a, p) => ({ docs: a.docs + p.docs, bytes: a.bytes + p.bytes }), { docs: 0, bytes: 0 });
      });
      console.log(row(`parallel x${names.size}, raw, batchSize ${batchSize === 1_000_000 ? '16 MiB' : batchSize}`, s));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const records = Number(arg('--records') ?? 70_000);
  let ferret: FerretDbProcess | undefined;
  let dataDir: string | undefined;
  let url = arg('--url');
  if (url === undefined) {
    dataDir = await mkdtemp(join(tmpdir(), 'beamstack-scan-probe-'));
    ferret = await startFerretDb({ port: await freePort(), dataDir });
    url = `${ferret.url}scanprobe`;
  }
  const client = new MongoClient(url, { directConnection: true });
  const db = client.db();
  const pid = ferret?.pid;
  try {
    const store = new MongoDomainModelStore(db);
    if ((await (await store.at()).count('subnets')) === 0) {
      const model = generateDomainModel({ seed: 3, subnets: 20_000, servers: 500, channels: 1_000, records });
      const t0 = performance.now();
      await store.replaceAll(model);
      console.log(`loaded the B6 model in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const gen = await store.at();
    const names = new Map<CollectionName, string>(COLLECTION_NAMES.map((c) => [c, domainCollectionName(gen.generation, c)]));

    if (!args.includes('--stored-only')) await scans(db, url, gen, names, pid);
    console.log('\n== the stored snapshot (what a rebuild reads now: gzipped chunks) and the same chunks as plain strings ==');
    const first = await gen.storedSnapshot();
    if ('unusable' in first) throw new Error(`no usable stored snapshot: ${first.unusable}`);
    const plain = db.collection<{ _id: string; text: string }>('scanprobe.plain');
    await plain.deleteMany({});
    for (const [i, chunk] of first.chunks.entries()) await plain.insertOne({ _id: `c${i}`, text: chunk.text });
    const mb = first.chunks.reduce((sum, c) => sum + c.text.length, 0);
    for (let round = 1; round <= 3; round++) {
      const stored = await measure(pid, async () => {
        const snapshot = await gen.storedSnapshot();
        return { docs: 'unusable' in snapshot ? 0 : snapshot.chunks.length, bytes: mb };
      });
      console.log(row(`readStoredSnapshot (gzip, checked), round ${round}`, stored));
      const text = await measure(pid, async () => {
        let bytes = 0;
        let docs = 0;
        for await (const doc of plain.find({}, { batchSize: 4 })) {
          bytes += doc.text.length;
          docs++;
        }
        return { docs, bytes };
      });
      console.log(row(`plain 1 MB strings, round ${round}`, text));
    }
    console.log(`\nload average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  } finally {
    await client.close();
    await ferret?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
