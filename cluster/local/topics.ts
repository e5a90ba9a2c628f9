// Local topics: publish delivers a copy of the message to every subscriber of the topic on
// any handle of the LocalCluster, in publish order.
import type { ClusterTopics, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { validateName } from '../codec.js';
import { Subscription, type Dispatcher, type HandleContext } from './dispatch.js';

export class LocalTopicRegistry {
  readonly subscribers = new Map<string, Set<Subscription<unknown>>>();

  constructor(readonly dispatcher: Dispatcher) {}

  of(topic: string): Set<Subscription<unknown>> {
    let subs = this.subscribers.get(topic);
    if (!subs) {
      subs = new Set();
      this.subscribers.set(topic, subs);
    }
    return subs;
  }
}

export class LocalTopics implements ClusterTopics {
  constructor(
    private readonly registry: LocalTopicRegistry,
    private readonly handle: HandleContext,
  ) {}

  async publish<M>(topic: string, message: M): Promise<void> {
    this.handle.checkOpen();
    validateName('topic name', topic);
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError(`topic ${topic}: message is not JSON-serializable`);
    const subs = this.registry.subscribers.get(topic);
    if (subs) this.registry.dispatcher.post(subs, () => JSON.parse(text) as unknown, `topic ${topic}`);
  }

  /** Nothing is buffered in-process (delivery is immediate), so there is nothing to free. */
  async destroy(topic: string): Promise<void> {
    this.handle.checkOpen();
    validateName('topic name', topic);
  }

  async subscribe<M>(topic: string, listener: (message: M) => void): Promise<Unsubscribe> {
    this.handle.checkOpen();
    validateName('topic name', topic);
    const sub = new Subscription<unknown>(listener as (message: unknown) => void);
    const subs = this.registry.of(topic);
    subs.add(sub);
    this.handle.track(sub);
    return async () => {
      sub.active = false;
      subs.delete(sub);
      if (subs.size === 0 && this.registry.subscribers.get(topic) === subs) this.registry.subscribers.delete(topic);
    };
  }
}
