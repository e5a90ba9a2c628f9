// Chat messages in MongoDB (and FerretDB v1), one document per message, unique (room, seq).
//
// Sequence numbers: FerretDB v1 runs updates as read-modify-write without isolation, so
// concurrent `$inc` / `findOneAndUpdate` hand out the same number twice (measured: 40
// concurrent increments gave 1,2,2,2,3,...). The one atomic primitive on both databases is a
// unique index, so the insert itself claims the number: insert with `_id = <room>/<seq>` for
// seq = highest known + 1; on a duplicate key, learn a higher number and try again. The
// counter document per room is only a hint of the highest seq (kept with $max), never trusted.
// Because a number is only ever tried right after a stored one, seq N exists only once every
// seq below N does (the sequence is dense).
//
// Reads: FerretDB v1 pushes down only equality filters, so messages carry
// `bucket = floor(seq / 100)` and every read is a few equality look-ups on (room, bucket).
//
// Structurally this is the actors' ChatMessageStore port (persistence does not import actors/).
import { randomUUID } from 'node:crypto';
import { paddedSeq, type AppendOptions, type ChatMessageDraft, type StoredChatMessage } from '../domain/chat.js';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import { ensureIndexes, type IndexSpec } from './indexes.js';

export const CHAT_MESSAGES_COLLECTION = 'chat_messages';
export const CHAT_COUNTERS_COLLECTION = 'chat_counters';
export const CHAT_BUCKET_SIZE = 100;
/** Attempts to claim a number before giving up (only reached under extreme contention). */
const MAX_APPEND_ATTEMPTS = 100;
/** Messages stored by one insert at most. */
const MAX_BATCH = 200;

export type { ChatMessageDraft, StoredChatMessage } from '../domain/chat.js';

interface MessageDoc extends StoredChatMessage {
  /** `<room>/<12-digit seq>`. */
  _id: string;
  bucket: number;
  /** The batch insert that stored it (tells a node which of its inserts went in). */
  claim?: string;
}

export class AppendDeadlineError extends Error {
  constructor(room: string) {
    super(`chat room ${room}: the append waited past its deadline and was dropped`);
    this.name = 'AppendDeadlineError';
  }
}

interface PendingAppend {
  draft: ChatMessageDraft;
  deadline: number;
  resolve(message: StoredChatMessage): void;
  reject(error: unknown): void;
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
  return { room: doc.room, seq: doc.seq, user: doc.user, body: doc.body, at: doc.at };
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
  /** Highest seq this process stored or read per room: the first guess of the next append. */
  private readonly known = new Map<string, number>();
  /**
   * Appends of one room from this process are queued and stored in batches (group commit):
   * one insert claims a run of consecutive numbers, so a busy room costs one round trip per
   * batch, not per message, and appends of one process never collide with each other.
   */
  private readonly queues = new Map<string, PendingAppend[]>();

  constructor(db: Db) {
    this.messages = db.collection<MessageDoc>(CHAT_MESSAGES_COLLECTION);
    this.counters = db.collection<CounterDoc>(CHAT_COUNTERS_COLLECTION);
  }

  append(draft: ChatMessageDraft, options: AppendOptions = {}): Promise<StoredChatMessage> {
    return new Promise((resolve, reject) => {
      const pending: PendingAppend = { draft, deadline: options.deadline ?? Infinity, resolve, reject };
      const queue = this.queues.get(draft.room);
      if (queue !== undefined) {
        queue.push(pending);
        return;
      }
      this.queues.set(draft.room, [pending]);
      void this.drain(draft.room);
    });
  }

  /** Stores the room's queued appends batch by batch until the queue is empty. */
  private async drain(room: string): Promise<void> {
    const queue = this.queues.get(room)!;
    while (queue.length > 0) {
      const now = Date.now();
      const batch = queue.splice(0, MAX_BATCH).filter((pending) => {
        if (pending.deadline >= now) return true;
        pending.reject(new AppendDeadlineError(room));
        return false;
      });
      if (batch.length === 0) continue;
      try {
        const stored = await this.claim(
          room,
          batch.map((pending) => pending.draft),
        );
        batch.forEach((pending, i) => pending.resolve(stored[i]!));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.queues.delete(room);
  }

  /** Claims consecutive numbers for `drafts` (in order) and stores them; returns them stored. */
  private async claim(room: string, drafts: ChatMessageDraft[]): Promise<StoredChatMessage[]> {
    const stored: StoredChatMessage[] = [];
    let rest = drafts;
    let seq = (this.known.get(room) ?? (await this.counterHint(room))) + 1;
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt += 1) {
      const claimId = randomUUID();
      const docs: MessageDoc[] = rest.map((draft, i) => ({
        _id: `${room}/${seqKey(seq + i)}`,
        room,
        seq: seq + i,
        bucket: bucketOf(seq + i),
        user: draft.user,
        body: draft.body,
        at: draft.at,
        claim: claimId,
      }));
      let inserted = docs.length;
      try {
        await this.messages.insertMany(docs, { ordered: true });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // Ordered: a prefix of ours went in before the clash. Which one is read back by claim
        // id, since drivers and servers disagree on how a failed bulk insert reports it.
        inserted = await this.countClaimed(docs, claimId);
      }
      for (const doc of docs.slice(0, inserted)) stored.push(toMessage(doc));
      rest = rest.slice(inserted);
      if (inserted > 0) this.remember(room, seq + inserted - 1);
      if (rest.length === 0) {
        await this.raiseCounter(room, seq + inserted - 1);
        return stored;
      }
      // seq + inserted is taken by another node: it is stored, so the next candidate is after it.
      seq = Math.max(seq + inserted + 1, (await this.counterHint(room)) + 1);
    }
    throw new Error(`chat room ${room}: no free sequence number after ${MAX_APPEND_ATTEMPTS} attempts`);
  }

  /** How many of `docs` (a prefix, the insert being ordered) were stored by this claim. */
  private async countClaimed(docs: MessageDoc[], claimId: string): Promise<number> {
    let count = 0;
    for (const doc of docs) {
      const found = await this.messages.findOne({ _id: doc._id }, { projection: { claim: 1 } });
      if (found === null || found.claim !== claimId) break;
      count += 1;
    }
    return count;
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
