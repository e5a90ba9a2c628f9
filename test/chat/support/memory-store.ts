// An in-memory ChatMessageStore with hooks to slow down or break inserts in tests.
import type { ChatMessageDraft, ChatMessageStore } from '../../../actors/chat/ports.js';
import type { StoredChatMessage } from '../../../actors/chat/types.js';

export class MemoryChatStore implements ChatMessageStore {
  private readonly counters = new Map<string, number>();
  private readonly messages = new Map<string, Map<number, StoredChatMessage>>();
  /** Runs before a message gets its sequence number (e.g. a delay, or throw to fail it). */
  beforeAppend: (draft: ChatMessageDraft) => Promise<void> | void = () => {};
  /** Runs after it is stored, before append resolves (delays the pusher's publish). */
  afterAppend: (message: StoredChatMessage) => Promise<void> | void = () => {};
  /** Makes every call fail (store down). */
  down = false;

  async append(draft: ChatMessageDraft): Promise<StoredChatMessage> {
    this.check();
    await this.beforeAppend(draft);
    this.check();
    const seq = (this.counters.get(draft.room) ?? 0) + 1;
    this.counters.set(draft.room, seq);
    const message: StoredChatMessage = { ...draft, seq };
    let room = this.messages.get(draft.room);
    if (room === undefined) {
      room = new Map();
      this.messages.set(draft.room, room);
    }
    room.set(seq, { ...message });
    await this.afterAppend(message);
    return message;
  }

  /** Test helper: a sequence number taken but never stored (data removed by hand). */
  burnSeq(room: string): number {
    const seq = (this.counters.get(room) ?? 0) + 1;
    this.counters.set(room, seq);
    return seq;
  }

  async after(room: string, afterSeq: number, limit: number): Promise<StoredChatMessage[]> {
    this.check();
    return this.sorted(room)
      .filter((m) => m.seq > afterSeq)
      .slice(0, limit);
  }

  async latest(room: string, limit: number): Promise<StoredChatMessage[]> {
    this.check();
    return this.sorted(room).slice(-limit);
  }

  async before(room: string, beforeSeq: number, limit: number): Promise<StoredChatMessage[]> {
    this.check();
    return this.sorted(room)
      .filter((m) => m.seq < beforeSeq)
      .slice(-limit);
  }

  async rooms(): Promise<Array<{ room: string; lastSeq: number }>> {
    this.check();
    return [...this.counters].map(([room, lastSeq]) => ({ room, lastSeq }));
  }

  /** Test helper: all stored messages of a room, in order. */
  all(room: string): StoredChatMessage[] {
    return this.sorted(room);
  }

  private sorted(room: string): StoredChatMessage[] {
    return [...(this.messages.get(room)?.values() ?? [])].sort((a, b) => a.seq - b.seq).map((m) => ({ ...m }));
  }

  private check(): void {
    if (this.down) throw new Error('store is down');
  }
}
