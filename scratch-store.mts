import { MongoClient } from 'mongodb';
import { startTestMongo } from './test/support/ferretdb.js';
import { MongoDomainModelStore } from './persistence/domain-model.js';
import { generateDomainModel } from './load_testing/fixture-model.js';
import { validateDomainModel } from './domain/routing/validate.js';
import { stripDerived } from './actors/routing/domain-model/records.js';
const mongo = await startTestMongo();
const client = new MongoClient(mongo.mongodbUrl);
try {
  const model = generateDomainModel({ seed: 3, subnets: 20_000, servers: 500, channels: 1_000, records: 70_000 });
  const v = validateDomainModel(JSON.parse(JSON.stringify(model)));
  if (!v.ok) throw new Error('invalid');
  const store = new MongoDomainModelStore(client.db(mongo.dbName));
  for (let i = 0; i < Number(process.env.REPEAT ?? 2); i++) {
    const t = performance.now();
    const r = await store.replaceAll(stripDerived(v.model));
    console.log('replaceAll', Math.round(performance.now() - t), JSON.stringify(r.timings));
  }
} finally { await client.close(); await mongo.stop(); }
