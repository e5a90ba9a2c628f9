import { expect } from 'chai';
import type { Db } from 'mongodb';
import type { ChatMessageStore } from '../../actors/chat/ports.js';
import {
  CHAT_BUCKET_SIZE,
  CHAT_MESSAGES_COLLECTION,
  ensureChatMessageIndexes,
  MongoChatMessageStore,
} from '../../persistence/chat-messages.js';
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

  it('reads latest, after and before across buckets, oldest first', async () => {
    await add('paged', CHAT_BUCKET_SIZE * 2 + 30);
    const total = CHAT_BUCKET_SIZE * 2 + 30;
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
      (r.room === 'paged' && r.lastSeq === CHAT_BUCKET_SIZE * 2 + 30) || (r.room === 'lagging' && r.lastSeq === 4);
    await waitFor('both counters', 5_000, async () => (await store.rooms()).filter(wanted).length === 2);
    const indexes = await db.collection(CHAT_MESSAGES_COLLECTION).indexes();
    expect(indexes.map((index) => index.name)).to.include.members(['chat_messages_room_seq_unique', 'chat_messages_room_bucket']);
  });
});
