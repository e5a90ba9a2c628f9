import { expect } from 'chai';
import type { Db, Document } from 'mongodb';
import type { ChatMessageStore } from '../../actors/chat/ports.js';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import {
  CHAT_COUNTERS_COLLECTION,
  CHAT_MESSAGES_COLLECTION,
  chatMessageId,
  ensureChatMessageIndexes,
  MongoChatMessageStore,
} from '../../persistence/chat-messages.js';
import { chatIdReads } from '../../persistence/migrations/006-chat-id-reads.js';
import { useTestMongo } from '../support/ferretdb.js';
import { waitFor } from '../support/wait.js';

describe('chat messages in MongoDB/FerretDB @integration', function () {
  this.timeout(30_000);
  const mongo = useTestMongo({ dbPrefix: 'chat' });
  let db: Db;
  let store: MongoChatMessageStore;

  before(async () => {
    db = mongo.db;
    await ensureChatMessageIndexes(db);
    await ensureChatMessageIndexes(db); // idempotent
    // Compile-time check: the Mongo store is the actors' port.
    store = new MongoChatMessageStore(db);
    store satisfies ChatMessageStore;
  });

  async function add(room: string, count: number, target: MongoChatMessageStore = store): Promise<number[]> {
    const last = (await target.latest(room, 1))[0]?.seq ?? 0;
    const messages = Array.from({ length: count }, (_, i) => ({
      room,
      seq: last + i + 1,
      user: 'u',
      body: `${room}-${last + i + 1}`,
      at: 'now',
    }));
    await target.insert(messages);
    return messages.map((m) => m.seq);
  }

  it('stores one ordered batch for several rooms, with push ids', async () => {
    await store.insert([
      { room: 'r1', seq: 1, user: 'u', body: 'a', at: 'now', pushId: 'u/p1' },
      { room: 'r2', seq: 1, user: 'u', body: 'b', at: 'now' },
      { room: 'r1', seq: 2, user: 'u', body: 'c', at: 'now', pushId: 'u/p2' },
    ]);
    expect(await store.latest('r1', 10)).to.deep.equal([
      { room: 'r1', seq: 1, user: 'u', body: 'a', at: 'now', pushId: 'u/p1' },
      { room: 'r1', seq: 2, user: 'u', body: 'c', at: 'now', pushId: 'u/p2' },
    ]);
    expect((await store.latest('r2', 10)).map((m) => m.body)).to.deep.equal(['b']);
  });

  it('refuses a taken (room, seq) and stores nothing after it in the batch (the unique backstop)', async () => {
    await store.insert([{ room: 'taken', seq: 1, user: 'first', body: 'one', at: 'now', pushId: 'x' }]);
    let error: unknown;
    try {
      await new MongoChatMessageStore(db).insert([
        { room: 'taken', seq: 2, user: 'other', body: 'two', at: 'now' },
        { room: 'taken', seq: 1, user: 'other', body: 'clash', at: 'now' },
        { room: 'taken', seq: 3, user: 'other', body: 'three', at: 'now' },
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    expect((await store.after('taken', 0, 10)).map((m) => `${m.seq}:${m.body}`)).to.deep.equal(['1:one', '2:two']);
  });

  it('finds messages past a counter that lags behind', async () => {
    await add('lagging', 3);
    await waitFor('the counter hint', 5_000, async () => (await store.rooms()).some((r) => r.room === 'lagging' && r.lastSeq === 3));
    await db.collection<{ _id: string; seq: number }>('chat_counters').updateOne({ _id: 'lagging' }, { $set: { seq: 1 } });
    const fresh = new MongoChatMessageStore(db); // no cache: trusts only the database
    expect((await fresh.latest('lagging', 10)).map((m) => m.seq)).to.deep.equal([1, 2, 3]);
    expect(await add('lagging', 1, fresh)).to.deep.equal([4]);
  });

  it('finds the last seq far past the counter and of a room without one', async () => {
    await add('far', 77);
    // The store's own counter raise must not race the edits below.
    await waitFor('the counter of far', 5_000, async () => (await store.rooms()).some((r) => r.room === 'far'));
    await db.collection<{ _id: string; seq: number }>(CHAT_COUNTERS_COLLECTION).deleteOne({ _id: 'far' });
    expect(await new MongoChatMessageStore(db).lastSeq('far')).to.equal(77);
    await db
      .collection<{ _id: string; seq: number }>(CHAT_COUNTERS_COLLECTION)
      .updateOne({ _id: 'far' }, { $set: { seq: 5 } }, { upsert: true });
    expect(await new MongoChatMessageStore(db).lastSeq('far')).to.equal(77);
    expect(await new MongoChatMessageStore(db).lastSeq('never-used')).to.equal(0);
  });

  it('sends FerretDB only reads by `_id` equality (the one filter it answers by key)', async () => {
    await add('keyed', 130);
    const client = new MongoClient(mongo.url, { monitorCommands: true });
    const reads: Document[] = [];
    client.on('commandStarted', (event: CommandStartedEvent) => {
      if (['find', 'aggregate', 'count', 'distinct'].includes(event.commandName)) reads.push(event.command);
    });
    try {
      const watched = new MongoChatMessageStore(client.db(mongo.dbName));
      expect((await watched.latest('keyed', 50)).map((m) => m.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => 81 + i));
      expect((await watched.before('keyed', 20, 3)).map((m) => m.seq)).to.deep.equal([17, 18, 19]);
      expect((await watched.after('keyed', 125, 10)).map((m) => m.seq)).to.deep.equal([126, 127, 128, 129, 130]);
      expect(await watched.lastSeq('keyed')).to.equal(130);
    } finally {
      await client.close();
    }
    expect(reads.length).to.be.greaterThan(50);
    for (const command of reads) {
      expect(command.find, JSON.stringify(command)).to.be.a('string');
      const filter = command.filter as Record<string, unknown>;
      expect(Object.keys(filter), JSON.stringify(command)).to.deep.equal(['_id']);
      expect(filter._id, JSON.stringify(command)).to.be.a('string');
    }
  });

  it('reads latest, after and before across many ids, oldest first', async () => {
    await add('paged', 230);
    const total = 230;
    const latest = await store.latest('paged', 50);
    expect(latest.map((m) => m.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => total - 49 + i));
    const after = await store.after('paged', 95, 10);
    expect(after.map((m) => m.seq)).to.deep.equal([96, 97, 98, 99, 100, 101, 102, 103, 104, 105]);
    const before = await store.before('paged', 203, 5);
    expect(before.map((m) => m.seq)).to.deep.equal([198, 199, 200, 201, 202]);
    expect(await store.after('paged', total, 10)).to.deep.equal([]);
    expect(await store.before('paged', 1, 10)).to.deep.equal([]);
    expect(await store.latest('nothing-here', 10)).to.deep.equal([]);
    expect(after[0]).to.deep.equal({ room: 'paged', seq: 96, user: 'u', body: 'paged-96', at: after[0]!.at });
  });

  it('lists rooms with their last sequence (the counter hint follows inserts)', async () => {
    const wanted = (r: { room: string; lastSeq: number }) =>
      (r.room === 'paged' && r.lastSeq === 230) || (r.room === 'lagging' && r.lastSeq === 4);
    await waitFor('both counters', 5_000, async () => (await store.rooms()).filter(wanted).length === 2);
    const indexes = await db.collection(CHAT_MESSAGES_COLLECTION).indexes();
    expect(indexes.map((index) => index.name)).to.include.members(['chat_messages_room_seq_unique']);
    expect(indexes.map((index) => index.name)).to.not.include('chat_messages_room_bucket');
  });

  it('raises a room counter at most once per period, to the last seq stored by then (not once per insert)', async () => {
    const client = new MongoClient(mongo.url, { monitorCommands: true });
    let counterWrites = 0;
    client.on('commandStarted', (event: CommandStartedEvent) => {
      if (event.commandName === 'update' && event.command.update === CHAT_COUNTERS_COLLECTION) counterWrites += 1;
    });
    try {
      const watched = new MongoChatMessageStore(client.db(mongo.dbName), { counterRaiseMs: 500 });
      const started = performance.now();
      for (let seq = 1; seq <= 20; seq += 1) await watched.insert([{ room: 'busy', seq, user: 'u', body: `b${seq}`, at: 'now' }]);
      const periods = Math.floor((performance.now() - started) / 500);
      // Another process' listing is exact while the counter lags: it looks past the hint.
      const counters = db.collection<{ _id: string; seq: number }>(CHAT_COUNTERS_COLLECTION);
      await waitFor(
        'the room listed (its first insert raised its counter)',
        5_000,
        async () => (await counters.findOne({ _id: 'busy' })) !== null,
      );
      expect((await new MongoChatMessageStore(db).rooms()).find((r) => r.room === 'busy')?.lastSeq).to.equal(20);
      await waitFor('the counter at 20', 5_000, async () => (await counters.findOne({ _id: 'busy' }))?.seq === 20);
      // One raise per period the inserts spanned, plus the trailing one: 20 inserts, far fewer writes.
      expect(counterWrites).to.be.at.least(1);
      expect(counterWrites).to.be.at.most(periods + 2);
      expect(counterWrites).to.be.below(20);
    } finally {
      await client.close();
    }
  });

  it('migration 006: counters raised to the stored messages, bucket index and field dropped; reads exact across it', async () => {
    // Messages as the store wrote them before: with `bucket` and its index, counters absent or behind.
    const messages = db.collection<Document & { _id: string }>(CHAT_MESSAGES_COLLECTION);
    await messages.createIndex({ room: 1, bucket: 1 }, { name: 'chat_messages_room_bucket' });
    const old = (room: string, seq: number) => ({
      _id: chatMessageId(room, seq),
      room,
      seq,
      bucket: Math.floor(seq / 100),
      user: 'u',
      body: `${room}-${seq}`,
      at: 'then',
    });
    await messages.insertMany([
      ...Array.from({ length: 240 }, (_, i) => old('legacy', i + 1)),
      ...Array.from({ length: 3 }, (_, i) => old('legacy2', i + 1)),
    ]);
    const counters = db.collection<{ _id: string; seq: number }>(CHAT_COUNTERS_COLLECTION);
    await counters.updateOne({ _id: 'legacy2' }, { $set: { seq: 1 } }, { upsert: true });

    await chatIdReads.up(db);
    await chatIdReads.up(db); // idempotent

    expect((await counters.findOne({ _id: 'legacy' }))?.seq).to.equal(240);
    expect((await counters.findOne({ _id: 'legacy2' }))?.seq).to.equal(3);
    expect((await counters.findOne({ _id: 'paged' }))?.seq).to.equal(230, 'a counter ahead of nothing stays');
    expect((await messages.indexes()).map((index) => index.name)).to.not.include('chat_messages_room_bucket');
    expect(await messages.countDocuments({ bucket: { $exists: true } })).to.equal(0);

    const fresh = new MongoChatMessageStore(db);
    expect((await fresh.latest('legacy', 50)).map((m) => m.body)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `legacy-${191 + i}`));
    expect((await fresh.before('legacy', 101, 3)).map((m) => m.seq)).to.deep.equal([98, 99, 100]);
    expect((await fresh.after('legacy', 99, 3)).map((m) => m.seq)).to.deep.equal([100, 101, 102]);
    expect(await add('legacy', 1, fresh)).to.deep.equal([241]);
    expect((await fresh.latest('legacy2', 10)).map((m) => m.seq)).to.deep.equal([1, 2, 3]);
  });
});
