// Delivers a room's messages strictly in sequence order, whatever order they arrive in.
// Messages at or below the last delivered sequence are duplicates and are dropped.
import type { StoredChatMessage } from './types.js';

export class ReorderBuffer {
  private readonly pending = new Map<number, StoredChatMessage>();

  constructor(private delivered: number) {}

  /** The last sequence number handed out. */
  get lastDelivered(): number {
    return this.delivered;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** True while a later message waits for a missing one. */
  hasGap(): boolean {
    return this.pending.size > 0;
  }

  /** Accepts a message; returns the messages now deliverable, in order. */
  offer(message: StoredChatMessage): StoredChatMessage[] {
    if (message.seq <= this.delivered || this.pending.has(message.seq)) return [];
    this.pending.set(message.seq, message);
    return this.drain();
  }

  /**
   * Gives up on every missing sequence below the lowest waiting message (a sequence that was
   * allocated but never stored) and returns what becomes deliverable.
   */
  skipGap(): StoredChatMessage[] {
    if (this.pending.size === 0) return [];
    this.delivered = Math.min(...this.pending.keys()) - 1;
    return this.drain();
  }

  private drain(): StoredChatMessage[] {
    const ready: StoredChatMessage[] = [];
    for (;;) {
      const next = this.pending.get(this.delivered + 1);
      if (next === undefined) return ready;
      this.pending.delete(next.seq);
      this.delivered = next.seq;
      ready.push(next);
    }
  }
}
