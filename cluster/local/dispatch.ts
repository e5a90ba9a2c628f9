// Asynchronous, ordered event delivery for the local store: like a real cluster, listeners
// never run inside the call that caused the event, and they see events in the order they
// happened (one FIFO queue per LocalCluster, drained on the next turn of the event loop).
import type { Logger } from '../../domain/log.js';

/** A listener that can be switched off; events still queued for it are then dropped. */
export class Subscription<E> {
  active = true;
  constructor(readonly listener: (event: E) => void) {}
}

/** What a handle's parts need from the handle: closing it ends all its subscriptions. */
export interface HandleContext {
  /** Throws when the handle was closed. */
  checkOpen(): void;
  /** Registers a subscription to be switched off when the handle closes. */
  track(subscription: Subscription<never>): void;
}

export class Dispatcher {
  private queue: Array<() => void> = [];
  private scheduled = false;

  constructor(private readonly log: Logger) {}

  post<E>(subscriptions: Iterable<Subscription<E>>, event: () => E, what: string): void {
    for (const sub of subscriptions) {
      if (!sub.active) continue;
      // Each listener gets its own copy (as if it had come over the network).
      this.queue.push(() => {
        if (!sub.active) return;
        try {
          sub.listener(event());
        } catch (err) {
          this.log.error({ err, what }, 'cluster store listener failed');
        }
      });
    }
    if (!this.scheduled && this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const run of batch) run();
  }
}
