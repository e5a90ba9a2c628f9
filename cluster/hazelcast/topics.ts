// ClusterTopics on Hazelcast: each topic is the ringbuffer a ReliableTopic is built on
// (`topic.<name>`, sized in member-config.ts), read by our own loop instead of the client's
// ReliableTopic listener, because that one
//  - learns its start sequence only after addMessageListener has returned, so a message
//    published right after subscribing can be missed, and
//  - keeps waiting at its old sequence when the member restarts (the new ringbuffer is
//    empty, and a read past its tail blocks until that many messages arrive), while ours
//    re-seeks on reconnect and keeps going.
// Publishers never block: a full ringbuffer overwrites its oldest item; a reader that was
// overtaken skips ahead and logs how many messages it lost.
import { ClientNotActiveError, OverflowPolicy, StaleSequenceError, type Client, type Ringbuffer } from 'hazelcast-client';
import type { Logger } from '../../domain/log.js';
import type { ClusterTopics, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { TOPIC_RINGBUFFER_PREFIX } from './member-config.js';

const READ_BATCH = 100;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

type Listener = (message: unknown) => void;
type Buffer = Ringbuffer<string>;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** One read loop per topic and store, fanning each message out to the local listeners. */
class TopicReader {
  private readonly listeners = new Set<Listener>();
  private sequence = 0;
  /** Bumped on each re-seek: a read still pending from an older loop is discarded. */
  private generation = 0;
  private stopped = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly topic: string,
    private readonly buffer: Buffer,
    private readonly log: Logger,
    private readonly onIdle: () => void,
  ) {
    this.ready = buffer.tailSequence().then((tail) => {
      this.restartAt(tail.toNumber() + 1);
    });
    this.ready.catch(() => {}); // awaited by subscribe(); not an unhandled rejection here
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  add(listener: Listener): Unsubscribe {
    this.listeners.add(listener);
    return async () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.stop();
      this.onIdle();
    };
  }

  stop(): void {
    this.stopped = true;
  }

  /** After a reconnect or destroy: if the ringbuffer is behind us, it was recreated; read the new one. */
  async resync(): Promise<void> {
    for (let attempt = 0; attempt < 5 && !this.stopped; attempt++) {
      try {
        const tail = (await this.buffer.tailSequence()).toNumber();
        if (tail + 1 < this.sequence) {
          const head = (await this.buffer.headSequence()).toNumber();
          this.log.info({ topic: this.topic }, 'topic ringbuffer was recreated; reading it from its start');
          this.restartAt(head);
        }
        return;
      } catch (err) {
        this.log.debug({ topic: this.topic, err: String(err) }, 'topic resync failed; retrying');
        await delay(RETRY_MAX_MS);
      }
    }
  }

  private restartAt(sequence: number): void {
    this.sequence = sequence;
    void this.loop(++this.generation);
  }

  private async loop(generation: number): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    const current = (): boolean => !this.stopped && generation === this.generation;
    while (current()) {
      try {
        const result = await this.buffer.readMany(this.sequence, 1, READ_BATCH);
        if (!current()) return;
        const next = result.getNextSequenceToReadFrom().toNumber();
        const lost = next - result.getReadCount() - this.sequence;
        if (lost > 0) this.log.warn({ topic: this.topic, lost }, 'topic reader fell behind and skipped messages');
        this.sequence = next;
        for (let i = 0; i < result.size(); i++) this.deliver(result.get(i));
        retryMs = RETRY_MIN_MS;
      } catch (err) {
        if (!current() || err instanceof ClientNotActiveError) return;
        await this.recover(err);
        await delay(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  /**
   * Skips ahead when the ringbuffer overtook us; after other errors (offline, timeout, the
   * ringbuffer destroyed) re-seeks if the ringbuffer is now behind us, then retries.
   */
  private async recover(err: unknown): Promise<void> {
    if (!(err instanceof StaleSequenceError)) {
      this.log.debug({ topic: this.topic, err: String(err) }, 'topic read failed; retrying');
      await this.resync();
      return;
    }
    try {
      const head = (await this.buffer.headSequence()).toNumber();
      this.log.warn({ topic: this.topic, lost: head - this.sequence }, 'topic reader fell behind and skipped messages');
      this.sequence = Math.max(this.sequence, head);
    } catch (seekErr) {
      this.log.debug({ topic: this.topic, err: String(seekErr) }, 'topic re-seek failed; retrying');
    }
  }

  private deliver(text: string): void {
    for (const listener of this.listeners) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        this.log.warn({ topic: this.topic }, 'topic: ignoring a message that is not JSON');
        return;
      }
      try {
        listener(message);
      } catch (err) {
        this.log.error({ topic: this.topic, err }, 'topic listener failed');
      }
    }
  }
}

export class HazelcastTopics implements ClusterTopics {
  private readonly readers = new Map<string, TopicReader>();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
  ) {}

  private buffer(topic: string): Promise<Buffer> {
    if (typeof topic !== 'string' || topic === '') throw new TypeError('topic name must be a non-empty string');
    return this.client.getRingbuffer<string>(TOPIC_RINGBUFFER_PREFIX + topic);
  }

  async publish<M>(topic: string, message: M): Promise<void> {
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError(`topic ${topic}: message is not JSON-serializable`);
    const buffer = await this.buffer(topic);
    await buffer.add(text, OverflowPolicy.OVERWRITE);
  }

  async subscribe<M>(topic: string, listener: (message: M) => void): Promise<Unsubscribe> {
    for (;;) {
      if (this.closed) throw new Error('cluster store is closed');
      const reader = await this.reader(topic);
      try {
        await reader.ready;
      } catch (err) {
        if (this.readers.get(topic) === reader) this.readers.delete(topic);
        reader.stop();
        throw err;
      }
      // The last listener of this reader may have left while we waited: use a new one.
      if (!reader.isStopped) return reader.add(listener as Listener);
    }
  }

  /**
   * Destroys the topic's ringbuffer on the member. A reader parked on it (here or on another
   * node) gets an error or finds the recreated ringbuffer behind its position, and re-seeks
   * to its start (TopicReader.recover), so subscriptions stay valid.
   */
  async destroy(topic: string): Promise<void> {
    const buffer = await this.buffer(topic);
    await buffer.destroy();
    const reader = this.readers.get(topic);
    if (reader !== undefined) void reader.resync();
  }

  private async reader(topic: string): Promise<TopicReader> {
    const existing = this.readers.get(topic);
    if (existing && !existing.isStopped) return existing;
    const buffer = await this.buffer(topic);
    const again = this.readers.get(topic);
    // Another subscribe may have created one while we awaited the ringbuffer proxy.
    if (again && !again.isStopped) return again;
    const created: TopicReader = new TopicReader(topic, buffer, this.log, () => {
      if (this.readers.get(topic) === created) this.readers.delete(topic);
    });
    this.readers.set(topic, created);
    return created;
  }

  onReconnected(): void {
    for (const reader of this.readers.values()) void reader.resync();
  }

  close(): void {
    this.closed = true;
    for (const reader of this.readers.values()) reader.stop();
    this.readers.clear();
  }
}
