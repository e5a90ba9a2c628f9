// Chat reads by `_id` only (docs/decisions.md, "Chat: reads by `_id`"). Before, messages
// carried `bucket = floor(seq / 100)` with a (room, bucket) index that readers filtered on;
// now the last seq of a room is found by probing `_id`s forward from its counter document, so
// every room with messages needs a counter (a missing one would mean probing from seq 1).
// Raises each room's counter to its highest stored seq, then drops the bucket index and field.
// Idempotent: counters only rise ($max), and the drop and $unset find nothing the second time.
import type { Db } from 'mongodb';
import { CHAT_COUNTERS_COLLECTION, CHAT_MESSAGES_COLLECTION, type ChatCounterDoc } from '../chat-messages.js';
import type { Migration } from '../migrations.js';

const BUCKET_INDEX = 'chat_messages_room_bucket';

/** One pass over the messages (FerretDB v1 has no `$max` in `$group`). */
async function raiseCounters(db: Db): Promise<void> {
  const highest = new Map<string, number>();
  const cursor = db.collection(CHAT_MESSAGES_COLLECTION).find({}, { projection: { _id: 0, room: 1, seq: 1 } });
  for await (const { room, seq } of cursor) {
    if (typeof room !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) continue;
    if (seq > (highest.get(room) ?? 0)) highest.set(room, seq);
  }
  const counters = db.collection<ChatCounterDoc>(CHAT_COUNTERS_COLLECTION);
  for (const [room, seq] of highest) await counters.updateOne({ _id: room }, { $max: { seq } }, { upsert: true });
}

async function dropBuckets(db: Db): Promise<void> {
  const messages = db.collection(CHAT_MESSAGES_COLLECTION);
  const collections = await db.listCollections({ name: CHAT_MESSAGES_COLLECTION }, { nameOnly: true }).toArray();
  if (collections.length === 0) return;
  const indexes = await messages.indexes();
  if (indexes.some((index) => index.name === BUCKET_INDEX)) await messages.dropIndex(BUCKET_INDEX);
  await messages.updateMany({ bucket: { $exists: true } }, { $unset: { bucket: '' } });
}

async function up(db: Db): Promise<void> {
  await raiseCounters(db);
  await dropBuckets(db);
}

export const chatIdReads: Migration = {
  id: '006-chat-id-reads',
  description: 'chat: a counter per room at its highest stored seq; the (room, bucket) index and the bucket field dropped',
  up,
};
