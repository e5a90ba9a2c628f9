// Chat messages in MongoDB (and FerretDB v1), one document per message, unique (room, seq).
//
// Sequence numbers are chosen by the room's owner node in memory (docs/decisions.md, "Chat:
// one sequencer per room"); this store only writes them: one ordered insertMany per owner
// tick, for all the rooms the owner sequences. `_id = <room>/<zero-padded seq>` is unique, so
// a second owner that wrongly believes it holds a room cannot overwrite a stored message: its
// insert fails on the duplicate key and it reads back what is there.
//
// Reads are `_id` look-ups only (docs/decisions.md, "Chat: reads by `_id`"): FerretDB v1
// answers nothing else by key — a filter on other fields, an `_id` range or `$in` decodes the
// whole collection. The per-room counter document (`_id` = room) is a hint of the highest seq,
// raised after inserts — at most once per room per `counterRaiseMs`, since every write is a
// transaction on the database's one SQLite writer and a raise per insert per room made the
// inserts queue behind them (docs/decisions.md, "Chat: the counter hint raised once a second")
// — and never trusted: the stored seqs of a room are dense (the owner stores
// each room's messages in order, an ordered insert stores a prefix), so the last one is found
// by probing `_id`s forward from the hint, doubling the step, then bisecting. A history page is
// the look-up of each of its ids, a few at a time.
//
// Structurally this is the actors' ChatMessageStore port (persistence does not import actors/).
import { mapBounded } from '../domain/bounded.js';
import { paddedSeq, type StoredChatMessage } from '../domain/chat.js';
import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexSpec } from './indexes.js';

export const CHAT_MESSAGES_COLLECTION = 'chat_messages';
export const CHAT_COUNTERS_COLLECTION = 'chat_counters';
export type { StoredChatMessage } from '../domain/chat.js';

/** `_id` look-ups of one read in flight at once (a join page is 50, a recovery up to 500). */
const LOOKUP_CONCURRENCY = 16;

/** Default period of a room's counter raises (MongoChatMessageStoreOptions.counterRaiseMs). */
export const COUNTER_RAISE_MS = 1_000;

export interface MongoChatMessageStoreOptions {
  /** A room's counter hint is written at most once per this period, with the highest seq stored by then. */
  counterRaiseMs?: number;
}

interface MessageDoc extends Omit<StoredChatMessage, 'pushId'> {
  /** `<room>/<12-digit seq>`. */
  _id: string;
  /** The push id (StoredChatMessage.pushId). */
  pid?: string;
}

export interface ChatCounterDoc {
  /** The room name. */
  _id: string;
  seq: number;
}

type MessageFields = Omit<MessageDoc, '_id'>;

export const CHAT_MESSAGE_INDEXES: readonly IndexSpec<MessageFields>[] = [
  { name: 'chat_messages_room_seq_unique', fields: ['room', 'seq'], unique: true },
];

/** Idempotent; run from a migration (or once at start). */
export async function ensureChatMessageIndexes(db: Db): Promise<void> {
  await ensureIndexes(db, CHAT_MESSAGES_COLLECTION, CHAT_MESSAGE_INDEXES);
}

/** The `_id` of a room's message: zero-padded, so `_id` order within a room is sequence order. */
export function chatMessageId(room: string, seq: number): string {
  return `${room}/${paddedSeq(seq)}`;
}

function toMessage(doc: MessageDoc): StoredChatMessage {
  const message: StoredChatMessage = { room: doc.room, seq: doc.seq, user: doc.user, body: doc.body, at: doc.at };
  if (typeof doc.pid === 'string') message.pushId = doc.pid;
  return message;
}

function toDoc(message: StoredChatMessage): MessageDoc {
  const { room, seq, user, body, at, pushId } = message;
  const doc: MessageDoc = { _id: chatMessageId(room, seq), room, seq, user, body, at };
  if (pushId !== undefined) doc.pid = pushId;
  return doc;
}

function hintOf(counter: ChatCounterDoc | null): number {
  return counter !== null && Number.isSafeInteger(counter.seq) && counter.seq > 0 ? counter.seq : 0;
}

export class MongoChatMessageStore {
  private readonly messages: Collection<MessageDoc>;
  private readonly counters: Collection<ChatCounterDoc>;
  /** Highest seq this process stored or found stored per room: a lower bound of the last one. */
  private readonly known = new Map<string, number>();
  /** Rooms whose counter raise is due or in flight (one at a time per room). */
  private readonly raising = new Set<string>();
  /** When each room's counter was last raised (Date.now()). */
  private readonly raisedAt = new Map<string, number>();
  private readonly counterRaiseMs: number;

  constructor(db: Db, options: MongoChatMessageStoreOptions = {}) {
    this.messages = db.collection<MessageDoc>(CHAT_MESSAGES_COLLECTION);
    this.counters = db.collection<ChatCounterDoc>(CHAT_COUNTERS_COLLECTION);
    this.counterRaiseMs = options.counterRaiseMs ?? COUNTER_RAISE_MS;
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

  /**
   * Not awaited by inserts: the hint may lag (by `counterRaiseMs`, or for good if the process
   * stops first), readers probe forward past it. The first insert of a room raises at once (so
   * a new room is listed by `rooms()`); later ones within `counterRaiseMs` only raise `known`,
   * and the next raise writes the highest seq known when it runs.
   */
  private raiseCounterInBackground(room: string): void {
    if (this.raising.has(room)) return;
    this.raising.add(room);
    const raise = (): void => {
      const seq = this.known.get(room) ?? 0;
      this.raisedAt.set(room, Date.now());
      void this.raiseCounter(room, seq).finally(() => {
        this.raising.delete(room);
        if ((this.known.get(room) ?? 0) > seq) this.raiseCounterInBackground(room);
      });
    };
    const waitMs = (this.raisedAt.get(room) ?? Number.NEGATIVE_INFINITY) + this.counterRaiseMs - Date.now();
    if (waitMs <= 0) raise();
    else setTimeout(raise, waitMs).unref();
  }

  async after(room: string, afterSeq: number, limit: number): Promise<StoredChatMessage[]> {
    const wanted = afterSeq + limit;
    const last = wanted <= (this.known.get(room) ?? 0) ? wanted : Math.min(wanted, await this.lastSeq(room));
    return this.range(room, afterSeq + 1, last);
  }

  async latest(room: string, limit: number): Promise<StoredChatMessage[]> {
    const last = await this.lastSeq(room);
    return this.range(room, last - limit + 1, last);
  }

  async before(room: string, beforeSeq: number, limit: number): Promise<StoredChatMessage[]> {
    const wanted = beforeSeq - 1;
    const to = wanted <= (this.known.get(room) ?? 0) ? wanted : Math.min(wanted, await this.lastSeq(room));
    return this.range(room, to - limit + 1, to);
  }

  /** Exact: each room's counter hint is checked with one `_id` look-up past it (more if it lags). */
  async rooms(): Promise<Array<{ room: string; lastSeq: number }>> {
    const counters = await this.counters.find({}).toArray();
    return mapBounded(counters, LOOKUP_CONCURRENCY, async (counter) => ({
      room: counter._id,
      lastSeq: await this.lastSeqFrom(counter._id, hintOf(counter)),
    }));
  }

  /** The highest stored seq of the room (0 if none): the counter hint, then `_id` probes past it. */
  async lastSeq(room: string): Promise<number> {
    return this.lastSeqFrom(room, hintOf(await this.counters.findOne({ _id: room })));
  }

  private async lastSeqFrom(room: string, hint: number): Promise<number> {
    let low = Math.max(hint, this.known.get(room) ?? 0);
    let high: number | undefined;
    for (let step = 1; high === undefined; step *= 2) {
      if (await this.exists(room, low + step)) low += step;
      else high = low + step;
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (await this.exists(room, middle)) low = middle;
      else high = middle;
    }
    this.remember(room, low);
    return low;
  }

  /** Stored messages with from <= seq <= to, oldest first (seqs removed by retention are skipped). */
  private async range(room: string, from: number, to: number): Promise<StoredChatMessage[]> {
    const first = Math.max(1, from);
    if (to < first) return [];
    const ids = Array.from({ length: to - first + 1 }, (_, i) => chatMessageId(room, first + i));
    const docs = await mapBounded(ids, LOOKUP_CONCURRENCY, (_id) => this.messages.findOne({ _id }));
    const found = docs.filter((doc): doc is MessageDoc => doc !== null).map(toMessage);
    const newest = found.at(-1);
    if (newest !== undefined) this.remember(room, newest.seq);
    return found;
  }

  private async exists(room: string, seq: number): Promise<boolean> {
    return (await this.messages.findOne({ _id: chatMessageId(room, seq) }, { projection: { _id: 1 } })) !== null;
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
}
