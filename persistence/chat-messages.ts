// Chat messages in MongoDB (and FerretDB v1), one document per message, unique (room, seq).
//
// Sequence numbers are chosen by the room's owner node in memory (docs/decisions.md, "Chat:
// one sequencer per room"); this store only writes them: one ordered insertMany per owner
// tick, for all the rooms the owner sequences. `_id = <room>/<seq>` is unique, so a second
// owner that wrongly believes it holds a room cannot overwrite a stored message: its insert
// fails on the duplicate key and it reads back what is there. The counter document per room
// is only a hint of the highest seq (kept with $max, updated after inserts), never trusted.
//
// Reads: FerretDB v1 pushes down only equality filters, so messages carry
// `bucket = floor(seq / 100)` and every read is a few equality look-ups on (room, bucket).
//
// Structurally this is the actors' ChatMessageStore port (persistence does not import actors/).
import { paddedSeq, type StoredChatMessage } from '../domain/chat.js';
import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexSpec } from './indexes.js';

export const CHAT_MESSAGES_COLLECTION = 'chat_messages';
export const CHAT_COUNTERS_COLLECTION = 'chat_counters';
export const CHAT_BUCKET_SIZE = 100;
export type { StoredChatMessage } from '../domain/chat.js';

interface MessageDoc extends Omit<StoredChatMessage, 'pushId'> {
  /** `<room>/<12-digit seq>`. */
  _id: string;
  bucket: number;
  /** The push id (StoredChatMessage.pushId). */
  pid?: string;
}

interface CounterDoc {
  /** The room name. */
  _id: string;
  seq: number;
}

type MessageFields = Omit<MessageDoc, '_id'>;

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
const seqKey = paddedSeq;

function toMessage(doc: MessageDoc): StoredChatMessage {
  const message: StoredChatMessage = { room: doc.room, seq: doc.seq, user: doc.user, body: doc.body, at: doc.at };
  if (typeof doc.pid === 'string') message.pushId = doc.pid;
  return message;
}

function toDoc(message: StoredChatMessage): MessageDoc {
  const { room, seq, user, body, at, pushId } = message;
  const doc: MessageDoc = { _id: `${room}/${seqKey(seq)}`, room, seq, bucket: bucketOf(seq), user, body, at };
  if (pushId !== undefined) doc.pid = pushId;
  return doc;
}

/** Reads buckets of one room, each at most once per operation. */
class BucketReader {
  private readonly cache = new Map<number, Promise<MessageDoc[]>>();

  constructor(
    private readonly messages: Collection<MessageDoc>,
    private readonly room: string,
  ) {}

  bucket(bucket: number): Promise<MessageDoc[]> {
    let docs = this.cache.get(bucket);
    if (docs === undefined) {
      docs = this.messages.find({ room: this.room, bucket }).toArray();
      this.cache.set(bucket, docs);
    }
    return docs;
  }

  /** Stored messages with from <= seq <= to, oldest first. */
  async range(from: number, to: number): Promise<StoredChatMessage[]> {
    const first = Math.max(1, from);
    if (to < first) return [];
    const buckets: number[] = [];
    for (let bucket = bucketOf(first); bucket <= bucketOf(to); bucket += 1) buckets.push(bucket);
    const pages = await Promise.all(buckets.map((bucket) => this.bucket(bucket)));
    return pages
      .flat()
      .filter((doc) => doc.seq >= first && doc.seq <= to)
      .sort((a, b) => a.seq - b.seq)
      .map(toMessage);
  }
}

export class MongoChatMessageStore {
  private readonly messages: Collection<MessageDoc>;
  private readonly counters: Collection<CounterDoc>;
  /** Highest seq this process stored or read per room: where a bucket scan starts. */
  private readonly known = new Map<string, number>();
  /** Rooms whose counter hint is being raised (at most one update per room in flight). */
  private readonly raising = new Set<string>();

  constructor(db: Db) {
    this.messages = db.collection<MessageDoc>(CHAT_MESSAGES_COLLECTION);
    this.counters = db.collection<CounterDoc>(CHAT_COUNTERS_COLLECTION);
  }

  async insert(messages: StoredChatMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.messages.insertMany(messages.map(toDoc), { ordered: true });
    const highest = new Map<string, number>();
    for (const { room, seq } of messages) highest.set(room, Math.max(seq, highest.get(room) ?? 0));
    for (const [room, seq] of highest) {
      this.remember(room, seq);
      this.raiseCounterInBackground(room);
    }
  }

  /** Not awaited by inserts: the hint may lag, readers scan forward past it. */
  private raiseCounterInBackground(room: string): void {
    if (this.raising.has(room)) return;
    this.raising.add(room);
    void this.raiseCounter(room, this.known.get(room) ?? 0).finally(() => this.raising.delete(room));
  }

  async after(room: string, afterSeq: number, limit: number): Promise<StoredChatMessage[]> {
    const reader = new BucketReader(this.messages, room);
    const last = await this.lastSeq(room, reader);
    return reader.range(afterSeq + 1, Math.min(last, afterSeq + limit));
  }

  async latest(room: string, limit: number): Promise<StoredChatMessage[]> {
    const reader = new BucketReader(this.messages, room);
    const last = await this.lastSeq(room, reader);
    return reader.range(last - limit + 1, last);
  }

  async before(room: string, beforeSeq: number, limit: number): Promise<StoredChatMessage[]> {
    const reader = new BucketReader(this.messages, room);
    const to = Math.min(beforeSeq - 1, await this.lastSeq(room, reader));
    return reader.range(to - limit + 1, to);
  }

  /** `lastSeq` is the counter hint: exact unless nodes raced on a room's counter a moment ago. */
  async rooms(): Promise<Array<{ room: string; lastSeq: number }>> {
    const counters = await this.counters.find({}).toArray();
    return counters.map((counter) => ({ room: counter._id, lastSeq: counter.seq }));
  }

  private async counterHint(room: string): Promise<number> {
    const counter = await this.counters.findOne({ _id: room });
    return counter !== null && Number.isSafeInteger(counter.seq) && counter.seq > 0 ? counter.seq : 0;
  }

  private async raiseCounter(room: string, seq: number): Promise<void> {
    try {
      await this.counters.updateOne({ _id: room }, { $max: { seq } }, { upsert: true });
    } catch {
      // Only a hint (a racing first upsert of the room may clash on _id): readers probe past it.
    }
  }

  private remember(room: string, seq: number): void {
    if (seq > (this.known.get(room) ?? 0)) this.known.set(room, seq);
  }

  /** The highest stored seq: the counter hint, then forward through buckets it may lag behind. */
  private async lastSeq(room: string, reader: BucketReader): Promise<number> {
    let last = await this.counterHint(room);
    let bucket = bucketOf(last);
    for (const doc of await reader.bucket(bucket)) last = Math.max(last, doc.seq);
    for (;;) {
      const next = await reader.bucket(bucket + 1);
      if (next.length === 0) break;
      bucket += 1;
      for (const doc of next) last = Math.max(last, doc.seq);
    }
    this.remember(room, last);
    return last;
  }
}
