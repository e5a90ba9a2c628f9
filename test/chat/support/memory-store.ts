// An in-memory ChatMessageStore with hooks to slow down or break inserts in tests.
import type { ChatMessageDraft, ChatMessageStore } from '../../../actors/chat/ports.js';
import type { StoredChatMessage } from '../../../actors/chat/types.js';

export class MemoryChatStore implements ChatMessageStore {
  private readonly counters = new Map<string, number>();
  private readonly messages = new Map<string, Map<number, StoredChatMessage>>();
  /** Runs before an insert writes anything (e.g. a delay, or throw to fail it). */
  beforeInsert: (messages: StoredChatMessage[]) => Promise<void> | void = () => {};
  /** Runs after an insert wrote, before it resolves (e.g. throw: stored, but the owner is not told). */
  afterInsert: (messages: StoredChatMessage[]) => Promise<void> | void = () => {};
  /** Makes every call fail (store down). */
  down = false;
  /** Runs before every read (e.g. a promise that never settles: a read that times out). */
  beforeRead: () => Promise<void> | void = () => {};
  /** Reads started (every read method). */
  reads = 0;
  /** Every insert call, for assertions on batching. */
  readonly inserts: StoredChatMessage[][] = [];
  /** Inserts refused on a taken (room, seq). */
  duplicates = 0;

  /** Ordered, and refuses a taken (room, seq) like the unique index: the rest of the batch is not written. */
  async insert(messages: StoredChatMessage[]): Promise<void> {
    this.check();
    await this.beforeInsert(messages);
    this.check();
    this.inserts.push(messages.map((m) => ({ ...m })));
    for (const message of messages) {
      const room = this.roomOf(message.room);
      if (room.has(message.seq)) {
        this.duplicates += 1;
        throw new Error(`E11000 duplicate key: ${message.room}/${message.seq}`);
      }
      room.set(message.seq, { ...message });
      this.counters.set(message.room, Math.max(message.seq, this.counters.get(message.room) ?? 0));
    }
    await this.afterInsert(messages);
  }

  /** Test helper: stores a message under the room's next number, bypassing any owner. */
  async append(draft: ChatMessageDraft): Promise<StoredChatMessage> {
    const message: StoredChatMessage = { ...draft, seq: (this.counters.get(draft.room) ?? 0) + 1 };
    await this.insert([message]);
    return message;
  }

  private roomOf(name: string): Map<number, StoredChatMessage> {
    let room = this.messages.get(name);
    if (room === undefined) {
      room = new Map();
      this.messages.set(name, room);
    }
    return room;
  }

  /** Test helper: a sequence number taken but never stored (data removed by hand). */
  burnSeq(room: string): number {
    const seq = (this.counters.get(room) ?? 0) + 1;
    this.counters.set(room, seq);
    return seq;
  }

  async after(room: string, afterSeq: number, limit: number): Promise<StoredChatMessage[]> {
    await this.read();
    return this.sorted(room)
      .filter((m) => m.seq > afterSeq)
      .slice(0, limit);
  }

  async latest(room: string, limit: number): Promise<StoredChatMessage[]> {
    await this.read();
    return this.sorted(room).slice(-limit);
  }

  async before(room: string, beforeSeq: number, limit: number): Promise<StoredChatMessage[]> {
    await this.read();
    return this.sorted(room)
      .filter((m) => m.seq < beforeSeq)
      .slice(-limit);
  }

  async rooms(): Promise<Array<{ room: string; lastSeq: number }>> {
    this.check();
    return [...this.counters].map(([room, lastSeq]) => ({ room, lastSeq }));
  }

  async lastSeq(room: string): Promise<number> {
    await this.read();
    return this.sorted(room).at(-1)?.seq ?? 0;
  }

  /** Test helper: all stored messages of a room, in order. */
  all(room: string): StoredChatMessage[] {
    return this.sorted(room);
  }

  private sorted(room: string): StoredChatMessage[] {
    return [...(this.messages.get(room)?.values() ?? [])].sort((a, b) => a.seq - b.seq).map((m) => ({ ...m }));
  }

  private async read(): Promise<void> {
    this.check();
    this.reads += 1;
    await this.beforeRead();
    this.check();
  }

  private check(): void {
    if (this.down) throw new Error('store is down');
  }
}
