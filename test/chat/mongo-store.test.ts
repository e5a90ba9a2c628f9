import { expect } from 'chai';
import type { Db } from 'mongodb';
import type { ChatMessageStore } from '../../actors/chat/ports.js';
import {
  AppendDeadlineError,
  CHAT_BUCKET_SIZE,
  CHAT_MESSAGES_COLLECTION,
  ensureChatMessageIndexes,
  MongoChatMessageStore,
} from '../../persistence/chat-messages.js';
import { useTestMongo } from '../support/ferretdb.js';

describe('chat messages in MongoDB/FerretDB @integration', function () {
  this.timeout(30_000);
  const mongo = useTestMongo({ dbPrefix: 'chat' });
  let db: Db;
  let store: ChatMessageStore;

  before(async () => {
    db = mongo.db;
    await ensureChatMessageIndexes(db);
    await ensureChatMessageIndexes(db); // idempotent
    // Compile-time check: the Mongo store is the actors' port.
    store = new MongoChatMessageStore(db) satisfies ChatMessageStore;
  });

  async function add(room: string, count: number, target: ChatMessageStore = store): Promise<number[]> {
    const seqs: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const message = await target.append({ room, user: 'u', body: `${room}-${i + 1}`, at: new Date().toISOString() });
      seqs.push(message.seq);
    }
    return seqs;
  }

  it('appends with dense, unique sequence numbers, also concurrently from several nodes', async () => {
    // Two store instances: two nodes with their own caches, racing on the same room.
    const other = new MongoChatMessageStore(db);
    const appended = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? store : other).append({ room: 'counted', user: 'u', body: `b${i}`, at: 'now' })),
    );
    const seqs = appended.map((m) => m.seq).sort((x, y) => x - y);
    expect(seqs).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
    const stored = await store.latest('counted', 100);
    expect(stored.map((m) => m.seq)).to.deep.equal(seqs);
    expect(new Set(stored.map((m) => m.body)).size).to.equal(30);
    expect((await add('other-room', 1))[0]).to.equal(1);
  });

  it('drops an append still queued past its deadline: the failed push is never stored', async () => {
    const late = store.append({ room: 'deadline', user: 'u', body: 'too late', at: 'now' }, { deadline: Date.now() - 1 });
    let error: unknown;
    await late.catch((err: unknown) => {
      error = err;
    });
    expect(error).to.be.instanceOf(AppendDeadlineError);
    const kept = await store.append({ room: 'deadline', user: 'u', body: 'in time', at: 'now' }, { deadline: Date.now() + 5000 });
    expect(kept.seq).to.equal(1);
    expect((await store.latest('deadline', 10)).map((m) => m.body)).to.deep.equal(['in time']);
  });

  it('finds messages past a counter that lags behind', async () => {
    await add('lagging', 3);
    await db.collection<{ _id: string; seq: number }>('chat_counters').updateOne({ _id: 'lagging' }, { $set: { seq: 1 } });
    const fresh = new MongoChatMessageStore(db); // no cache: trusts only the database
    expect((await fresh.latest('lagging', 10)).map((m) => m.seq)).to.deep.equal([1, 2, 3]);
    expect((await fresh.append({ room: 'lagging', user: 'u', body: 'x', at: 'now' })).seq).to.equal(4);
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

  it('lists rooms with their last sequence', async () => {
    const rooms = await store.rooms();
    expect(rooms).to.deep.include({ room: 'paged', lastSeq: CHAT_BUCKET_SIZE * 2 + 30 });
    expect(rooms).to.deep.include({ room: 'lagging', lastSeq: 4 });
    const indexes = await db.collection(CHAT_MESSAGES_COLLECTION).indexes();
    expect(indexes.map((index) => index.name)).to.include.members(['chat_messages_room_seq_unique', 'chat_messages_room_bucket']);
  });
});
