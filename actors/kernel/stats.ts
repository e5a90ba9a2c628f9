// The counters behind an actor's Observer line (docs/console.md): mailbox length, messages
// per second, restarts and the last restart's reason. Cheap enough to run on every message.
import type { ActorRunState, ActorStats } from './types.js';

export class ActorCounters {
  private queued = 0;
  private second = 0;
  private inSecond = 0;
  private inPreviousSecond = 0;
  private restarts = 0;
  private lastReason: string | undefined;
  private lastRestartAt: string | undefined;

  enqueued(): void {
    this.queued += 1;
  }

  /** One message taken from the mailbox, at `nowMs` (wall clock). */
  taken(nowMs: number): void {
    if (this.queued > 0) this.queued -= 1;
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.inPreviousSecond = second === this.second + 1 ? this.inSecond : 0;
      this.second = second;
      this.inSecond = 0;
    }
    this.inSecond += 1;
  }

  restarted(reason: string, nowMs: number): void {
    this.restarts += 1;
    this.lastReason = reason;
    this.lastRestartAt = new Date(nowMs).toISOString();
  }

  snapshot(state: ActorRunState, nowMs: number): ActorStats {
    const second = Math.floor(nowMs / 1000);
    let messagesPerSecond = 0;
    if (second === this.second + 1) messagesPerSecond = this.inSecond;
    else if (second === this.second) messagesPerSecond = this.inPreviousSecond;
    return {
      state,
      restarts: this.restarts,
      ...(this.lastReason !== undefined ? { lastRestartReason: this.lastReason } : {}),
      ...(this.lastRestartAt !== undefined ? { lastRestartAt: this.lastRestartAt } : {}),
      mailbox: this.queued,
      messagesPerSecond,
    };
  }
}
