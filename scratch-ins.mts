import { MongoClient } from 'mongodb';
import { startTestMongo } from './test/support/ferretdb.js';
import { generateDomainModel } from './load_testing/fixture-model.js';
import { forEachBounded } from './domain/bounded.js';
const mongo = await startTestMongo();
const client = new MongoClient(mongo.mongodbUrl);
try {
  const model = generateDomainModel({ seed: 3, subnets: 20_000, servers: 500, channels: 1_000, records: 70_000 });
  const recs = (model as any).programRecords as any[];
  const db = client.db(mongo.dbName);
  const docs = recs.map((r: any) => ({ ...r, _id: r.id, id: undefined, version: 1, createdAt: 'x', updatedAt: 'x' }));
  let n = 0;
  for (const [chunk, flight] of (process.env.COMBOS ?? '2000x4,10000x1,10000x2,70000x1').split(',').map((c) => c.split('x').map(Number))) {
    const coll = db.collection(`t${n++}`);
    const chunks = [] as any[];
    for (let i = 0; i < docs.length; i += chunk!) chunks.push(docs.slice(i, i + chunk!).map((d) => ({ ...d })));
    let t = performance.now();
    await forEachBounded(chunks, flight!, async (c) => { await coll.insertMany(c, { ordered: false }); });
    const ins = performance.now() - t;
    t = performance.now();
    let k = 0;
    for await (const d of coll.find({}, { batchSize: 5000, projection: { version: 1, createdAt: 1 } })) k++;
    const scan = performance.now() - t;
    t = performance.now();
    const arr = await coll.find({}, { projection: { version: 1 } }).sort({ version: -1 }).limit(1).toArray();
    const agg = performance.now() - t;
    console.log(`chunk ${chunk} x${flight}: insert ${Math.round(ins)} ms, scan ${k} ${Math.round(scan)} ms, agg ${Math.round(agg)} ms`, (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim());
  }
} finally { await client.close(); await mongo.stop(); }
