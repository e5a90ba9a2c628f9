// Chat messages in MongoDB (and FerretDB v1). One document per message, unique (room, seq);
// the sequence comes from a per-room counter document ($inc in findOneAndUpdate: atomic on a
// single document, no transactions needed). FerretDB v1 pushes down only equality filters,
// so messages also carry `bucket` = floor(seq / 100) and every read is a few equality
// look-ups on (room, bucket) instead of a range scan over the whole room.
// Structurally it is the actors' ChatMessageStore port (persistence does not import actors/).
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import { ensureIndexes, type IndexSpec } from './indexes.js';

export const CHAT_MESSAGES_COLLECTION = 'chat_messages';
export const CHAT_COUNTERS_COLLECTION = 'chat_counters';
export const CHAT_BUCKET_SIZE = 100;

interface MessageDoc {
  /** `<room>/<12-digit seq>`. */
  _id: string;
  room: string;
  seq: number;
  bucket: number;
  user: string;
  body: string;
  at: string;
}

interface CounterDoc {
  /** The room name. */
  _id: string;
  seq: number;
}

type MessageFields = Omit<MessageDoc, '_id'>;

/** A chat message as the chat actors store it. */
export interface StoredChatMessage {
  room: string;
  seq: number;
  user: string;
  body: string;
  at: string;
}

export const CHAT_MESSAGE_INDEXES: readonly IndexSpec<MessageFields>[] = [
  { name: 'chat_messages_room_seq_unique', fields: ['room', 'seq'], unique: true },
  { name: 'chat_messages_room_bucket', fields: ['room', 'bucket'] },
];

/** Idempotent; run from a migration (or once at start). */
export async function ensureChatMessageIndexes(db: Db): Promise<void> {
  await ensureIndexes(db, CHAT_MESSAGES_COLLECTION, CHAT_MESSAGE_INDEXES);
}

function bucketOf(seq: number): number {
  return Math.floor(seq / CHAT_BUCKET_SIZE);
}

/** Zero-padded so that `_id` order within a room is sequence order. */
function seqKey(seq: number): string {
  return String(seq).padStart(12, '0');
}

function toMessage(doc: MessageDoc): StoredChatMessage {
  return { room: doc.room, seq: doc.seq, user: doc.user, body: doc.body, at: doc.at };
}

export class MongoChatMessageStore {
  private readonly messages: Collection<MessageDoc>;
  private readonly counters: Collection<CounterDoc>;

  constructor(db: Db) {
    this.messages = db.collection<MessageDoc>(CHAT_MESSAGES_COLLECTION);
    this.counters = db.collection<CounterDoc>(CHAT_COUNTERS_COLLECTION);
  }

  async nextSeq(room: string): Promise<number> {
    // Two first-ever upserts of a room can race on MongoDB (duplicate _id): the loser retries
    // and then finds the document.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const counter = await this.counters.findOneAndUpdate(
          { _id: room },
          { $inc: { seq: 1 } },
          { upsert: true, returnDocument: 'after' },
        );
        if (counter === null || !Number.isSafeInteger(counter.seq)) throw new Error(`chat counter of ${room} is broken`);
        return counter.seq;
      } catch (error) {
        if (attempt >= 3 || !isDuplicateKeyError(error)) throw error;
      }
    }
  }

  async insert(message: StoredChatMessage): Promise<void> {
    await this.messages.insertOne({
      _id: `${message.room}/${seqKey(message.seq)}`,
      room: message.room,
      seq: message.seq,
      bucket: bucketOf(message.seq),
      user: message.user,
      body: message.body,
      at: message.at,
    });
  }

  async after(room: string, afterSeq: number, limit: number): Promise<StoredChatMessage[]> {
    const last = await this.lastSeq(room);
    const to = Math.min(last, afterSeq + limit);
    return this.range(room, afterSeq + 1, to);
  }

  async latest(room: string, limit: number): Promise<StoredChatMessage[]> {
    const last = await this.lastSeq(room);
    return this.range(room, last - limit + 1, last);
  }

  async before(room: string, beforeSeq: number, limit: number): Promise<StoredChatMessage[]> {
    const to = Math.min(beforeSeq - 1, await this.lastSeq(room));
    return this.range(room, to - limit + 1, to);
  }

  async rooms(): Promise<Array<{ room: string; lastSeq: number }>> {
    const counters = await this.counters.find({}).toArray();
    return counters.map((counter) => ({ room: counter._id, lastSeq: counter.seq }));
  }

  private async lastSeq(room: string): Promise<number> {
    const counter = await this.counters.findOne({ _id: room });
    return counter?.seq ?? 0;
  }

  /**
   * Stored messages with from <= seq <= to, oldest first. A sequence that was allocated but
   * never stored (failed insert) is simply absent, so a page can hold fewer than asked for.
   */
  private async range(room: string, from: number, to: number): Promise<StoredChatMessage[]> {
    const first = Math.max(1, from);
    if (to < first) return [];
    const buckets: number[] = [];
    for (let bucket = bucketOf(first); bucket <= bucketOf(to); bucket += 1) buckets.push(bucket);
    const pages = await Promise.all(buckets.map((bucket) => this.messages.find({ room, bucket }).toArray()));
    return pages
      .flat()
      .filter((doc) => doc.seq >= first && doc.seq <= to)
      .sort((a, b) => a.seq - b.seq)
      .map(toMessage);
  }
}
