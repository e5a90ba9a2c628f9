// Chat history retention (CHAT_HISTORY_DAYS, docs/security.md "Chat"): a cluster singleton
// deletes stored messages older than the retention, on a real FerretDB; one node runs it.
import { expect } from 'chai';
import { chatRetentionSpec, CHAT_RETENTION_LEASE } from '../../actors/chat/retention.js';
import { startActorSystem, type ActorSystem } from '../../actors/kernel/index.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { silentLogger } from '../../domain/log.js';
import { deleteChatMessagesBefore } from '../../persistence/chat-retention.js';
import { CHAT_MESSAGES_COLLECTION } from '../../persistence/chat-messages.js';
import { useTestMongo } from '../support/ferretdb.js';
import { waitFor } from '../support/wait.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00.000Z');

describe('chat history retention @integration', function () {
  this.timeout(30_000);
  const mongo = useTestMongo({ dbPrefix: 'chatret' });
  const systems: ActorSystem[] = [];

  afterEach(async () => {
    for (const system of systems.splice(0)) await system.stop();
    await mongo.db.collection(CHAT_MESSAGES_COLLECTION).deleteMany({});
  });

  async function seed(daysAgo: number[]): Promise<void> {
    await mongo.db.collection<{ _id: string; [field: string]: unknown }>(CHAT_MESSAGES_COLLECTION).insertMany(
      daysAgo.map((days, i) => ({
        _id: `r/${String(i + 1).padStart(12, '0')}`,
        room: 'r',
        seq: i + 1,
        bucket: 0,
        user: 'u',
        body: `${days} days old`,
        at: new Date(NOW.getTime() - days * DAY_MS).toISOString(),
      })),
    );
  }

  async function bodies(): Promise<string[]> {
    const docs = await mongo.db.collection(CHAT_MESSAGES_COLLECTION).find({}).sort({ seq: 1 }).toArray();
    return docs.map((doc) => String(doc.body));
  }

  it('deletes the messages stored before the cutoff and keeps the others', async () => {
    await seed([40, 31, 29, 1]);
    const deleted = await deleteChatMessagesBefore(mongo.db, new Date(NOW.getTime() - 30 * DAY_MS));
    expect(deleted).to.equal(2);
    expect(await bodies()).to.deep.equal(['29 days old', '1 days old']);
  });

  it('runs as a cluster singleton: one node holds the lease and prunes periodically', async () => {
    await seed([100, 10]);
    const hub = new LocalCluster({ heartbeatIntervalMs: 100, nodeDownAfterMs: 500 });
    const stores = [hub.store(), hub.store()];
    stores.forEach((store, i) => {
      const system = startActorSystem({ log: silentLogger });
      systems.push(system);
      system.spawn(
        chatRetentionSpec({
          holder: `node-${i}`,
          leases: store.leases,
          historyDays: 30,
          intervalMs: 100,
          deleteBefore: (cutoff) => deleteChatMessagesBefore(mongo.db, cutoff),
          now: () => NOW,
        }),
      );
    });
    await waitFor('the old message to go', 10_000, async () => (await bodies()).length === 1);
    expect(await bodies()).to.deep.equal(['10 days old']);
    const holders = (await stores[0]!.leases.all()).filter((lease) => lease.name === CHAT_RETENTION_LEASE);
    expect(holders).to.have.length(1);
    // Periodically: a message that turns up old later goes in a later run.
    await mongo.db.collection<{ _id: string; [field: string]: unknown }>(CHAT_MESSAGES_COLLECTION).insertOne({
      _id: 'late/000000000001',
      room: 'late',
      seq: 1,
      bucket: 0,
      user: 'u',
      body: 'late',
      at: new Date(NOW.getTime() - 60 * DAY_MS).toISOString(),
    });
    await waitFor('the late old message to go', 10_000, async () => !(await bodies()).includes('late'));
  });
});
