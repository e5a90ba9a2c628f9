// The sequencer of the rooms this node owns (docs/decisions.md, "Chat: one sequencer per
// room"). A room is sequenced here only while this node holds its lease. Ids are assigned in
// memory; every tick stores the queued pushes of all owned rooms with one ordered insert (one
// insert in flight at a time), then publishes each room's part once on the room topic, where
// the origin nodes see it and ack their pushes. After any failed insert the batch is read back
// from the store: what is there is published, what is not is left unanswered (the origins
// resend) and the room's tail is read again, recognising already stored pushes by their push id.
// A room whose tail cannot be read stays owned here and is read again with a back-off; its
// pushes are meanwhile refused at once with `overloaded` (docs/decisions.md, "Chat: a store
// read that fails").
import type { Logger } from '../../domain/log.js';
import { ownerLease } from './ownership.js';
import type { ChatLeases, ChatMessageStore, ChatTopics } from './ports.js';
import type { ForwardedPush, PushRefusal, RoomBatch } from './push-wire.js';
import { roomTopic } from './room-topic.js';
import { type ChatTiming, withTimeout } from './timing.js';
import type { StoredChatMessage } from './types.js';

/** Stored messages a new owner reads to recognise retried pushes. */
const RECENT_WINDOW = 1_000;
/** The tail is read in pieces this long, each within `storeTimeoutMs`. */
const TAIL_CHUNK = 100;
/** Back-off between reads of a room's tail that failed: doubling from the first to the last. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

export interface SequencerDeps {
  nodeName: string;
  store: ChatMessageStore;
  topics: ChatTopics;
  leases: ChatLeases;
  timing: ChatTiming;
  log: Logger;
  /** Sends refusals back to the node the pushes came from. */
  refuse(origin: string, refusals: PushRefusal[]): void;
  /**
   * Hands a stored batch to this node's own room actor once its publish was accepted, without
   * waiting for the room topic to bring it back (the topic still carries it to the other nodes; the copy that comes back
   * here is a duplicate the room's reorder buffer drops).
   */
  deliverLocal(room: string, messages: StoredChatMessage[]): void;
}

interface Queued {
  origin: string;
  push: ForwardedPush;
}

interface OwnedRoom {
  name: string;
  /** This node holds the room's lease (renewed while the room is here, ready or not). */
  leased: boolean;
  ready: boolean;
  /** Set while the tail could not be read: pushes are refused `overloaded` until a read succeeds. */
  retry: { delayMs: number; timer: NodeJS.Timeout } | undefined;
  lastSeq: number;
  queue: Queued[];
  /** Recently stored messages by push id (insertion order = age). */
  recent: Map<string, StoredChatMessage>;
  /**
   * Push ids in the insert in flight: a resend that arrives meanwhile (an insert slower than
   * `resendMs`) is not queued again — that would store it twice under two ids.
   */
  storing: Set<string>;
  lastActiveAt: number;
}

function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

export class Sequencer {
  private readonly rooms = new Map<string, OwnedRoom>();
  private queued = 0;
  private inFlight: Promise<void> | undefined;
  private tickScheduled = false;
  private stopped = false;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(private readonly deps: SequencerDeps) {
    this.renewTimer = setInterval(() => this.renewAndExpire(), Math.max(50, Math.floor(deps.timing.leaseTtlMs / 3)));
    this.renewTimer.unref();
  }

  /** Rooms this node sequences now (for tests and diagnostics). */
  ownedRooms(): string[] {
    return [...this.rooms.values()].filter((room) => room.ready).map((room) => room.name);
  }

  /** Pushes forwarded by `origin` (this node included). Answers come later: a batch on the room topic, or refusals. */
  submit(origin: string, pushes: ForwardedPush[]): void {
    const refusals: PushRefusal[] = [];
    const republish = new Map<string, StoredChatMessage[]>();
    const { maxRoomQueue, maxNodeQueue } = this.deps.timing;
    for (const push of pushes) {
      if (this.stopped) {
        refusals.push({ room: push.room, pushId: push.pushId, reason: 'moved' });
        continue;
      }
      const room = this.rooms.get(push.room) ?? this.take(push.room);
      room.lastActiveAt = Date.now();
      if (room.retry !== undefined) {
        refusals.push({ room: push.room, pushId: push.pushId, reason: 'overloaded' });
        continue;
      }
      const stored = room.ready ? room.recent.get(push.pushId) : undefined;
      if (stored !== undefined) {
        // A retry of a stored push: publish it again so its origin sees it and acks.
        const list = republish.get(room.name) ?? [];
        list.push(stored);
        republish.set(room.name, list);
        continue;
      }
      if (room.storing.has(push.pushId) || room.queue.some((queued) => queued.push.pushId === push.pushId)) continue;
      if (room.queue.length >= maxRoomQueue || this.queued >= maxNodeQueue) {
        refusals.push({ room: push.room, pushId: push.pushId, reason: 'overloaded' });
        continue;
      }
      room.queue.push({ origin, push });
      this.queued += 1;
    }
    if (refusals.length > 0) this.deps.refuse(origin, refusals);
    for (const [room, messages] of republish) this.publish(room, messages);
    this.scheduleTick();
  }

  /** Stops taking pushes, lets the insert in flight finish, hands queued pushes back and releases every lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    await this.inFlight;
    const rooms = [...this.rooms.values()];
    for (const room of rooms) this.letGo(room, 'moved');
    await Promise.all(rooms.map((room) => this.release(room.name)));
  }

  // --- ownership -------------------------------------------------------------------------

  private take(name: string): OwnedRoom {
    const room: OwnedRoom = {
      name,
      leased: false,
      ready: false,
      retry: undefined,
      lastSeq: 0,
      queue: [],
      recent: new Map(),
      storing: new Set(),
      lastActiveAt: Date.now(),
    };
    this.rooms.set(name, room);
    void this.load(room);
    return room;
  }

  /** Acquires the room's lease, then resumes its sequence from the store. */
  private async load(room: OwnedRoom): Promise<void> {
    const { leases, nodeName, timing } = this.deps;
    let holder: string | undefined;
    try {
      // A previous incarnation's insert may still be landing: read the tail after it.
      await this.inFlight;
      if (!(await leases.acquire(ownerLease(room.name), nodeName, timing.leaseTtlMs))) {
        holder = (await leases.holder(ownerLease(room.name)))?.holder;
        if (this.rooms.get(room.name) === room) this.letGo(room, 'moved', holder);
        return;
      }
    } catch (error) {
      this.deps.log.warn({ room: room.name, err: errorOf(error) }, 'could not take a room lease');
      if (this.rooms.get(room.name) === room) this.letGo(room, 'moved');
      return;
    }
    if (this.rooms.get(room.name) !== room) {
      // Let go while the lease was being taken; a newer incarnation (same holder) keeps it.
      if (!this.rooms.has(room.name)) await this.release(room.name);
      return;
    }
    room.leased = true;
    await this.readTail(room);
  }

  /**
   * Reads where the room's sequence stands and the push ids of its last messages, then
   * sequences the pushes that waited. On failure the room stays here (lease kept) and the
   * read is tried again after a back-off; meanwhile its pushes are refused `overloaded`.
   */
  private async readTail(room: OwnedRoom): Promise<void> {
    const { store, timing } = this.deps;
    const timedOut = (): Error => new Error(`reading the room tail took longer than ${timing.storeTimeoutMs} ms`);
    let lastSeq: number;
    const tail: StoredChatMessage[] = [];
    try {
      lastSeq = await withTimeout(store.lastSeq(room.name), timing.storeTimeoutMs, timedOut);
      for (let from = Math.max(1, lastSeq - RECENT_WINDOW + 1); from <= lastSeq; from += TAIL_CHUNK) {
        if (this.rooms.get(room.name) !== room) return;
        tail.push(
          ...(await withTimeout(
            store.after(room.name, from - 1, Math.min(TAIL_CHUNK, lastSeq - from + 1)),
            timing.storeTimeoutMs,
            timedOut,
          )),
        );
      }
    } catch (error) {
      if (this.rooms.get(room.name) === room) this.backOff(room, errorOf(error));
      return;
    }
    if (this.rooms.get(room.name) !== room) return;
    room.retry = undefined;
    room.lastSeq = lastSeq;
    room.recent.clear();
    for (const message of tail) this.remember(room, message);
    room.ready = true;
    this.deps.log.debug({ room: room.name, lastSeq: room.lastSeq }, 'sequencing a room');
    // Pushes queued while loading may be retries of stored ones.
    const queue = room.queue;
    room.queue = [];
    this.queued -= queue.length;
    for (const { origin, push } of queue) this.submit(origin, [push]);
  }

  private backOff(room: OwnedRoom, error: Error): void {
    const delayMs = room.retry === undefined ? RETRY_FIRST_MS : Math.min(RETRY_MAX_MS, room.retry.delayMs * 2);
    this.deps.log.warn(
      { room: room.name, err: error, retryInMs: delayMs },
      'could not read a room from the store; refusing its pushes until a retry succeeds',
    );
    room.ready = false;
    this.refuseQueue(room, 'overloaded');
    const timer = setTimeout(() => {
      if (this.rooms.get(room.name) === room && !this.stopped) void this.readTail(room);
    }, delayMs);
    timer.unref();
    room.retry = { delayMs, timer };
  }

  /** The room's tail is uncertain (an insert's outcome was unknown): read it again, keeping the room. */
  private reload(room: OwnedRoom): void {
    if (this.rooms.get(room.name) !== room || !room.ready) return;
    room.ready = false;
    void this.readTail(room);
  }

  /** Forgets the room; its queued pushes are refused with `reason`, or left to their origins' resend. */
  private letGo(room: OwnedRoom, reason: PushRefusal['reason'] | undefined, holder?: string): void {
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    if (room.retry !== undefined) clearTimeout(room.retry.timer);
    room.retry = undefined;
    this.refuseQueue(room, reason, holder);
  }

  /** Empties the room's queue, refusing its pushes with `reason` (or leaving them to their origins' resend). */
  private refuseQueue(room: OwnedRoom, reason: PushRefusal['reason'] | undefined, holder?: string): void {
    this.queued -= room.queue.length;
    const queue = room.queue;
    room.queue = [];
    if (reason === undefined) return;
    const byOrigin = new Map<string, PushRefusal[]>();
    for (const { origin, push } of queue) {
      const list = byOrigin.get(origin) ?? [];
      list.push({
        room: room.name,
        pushId: push.pushId,
        reason,
        ...(holder !== undefined && holder !== this.deps.nodeName ? { holder } : {}),
      });
      byOrigin.set(origin, list);
    }
    for (const [origin, refusals] of byOrigin) this.deps.refuse(origin, refusals);
  }

  private async release(name: string): Promise<void> {
    try {
      await this.deps.leases.release(ownerLease(name), this.deps.nodeName);
    } catch (error) {
      this.deps.log.debug({ room: name, err: errorOf(error) }, 'could not release a room lease (it expires by itself)');
    }
  }

  private renewAndExpire(): void {
    const now = Date.now();
    for (const room of [...this.rooms.values()]) {
      if (!room.leased) continue;
      if (room.queue.length === 0 && (room.ready || room.retry !== undefined) && now - room.lastActiveAt > this.deps.timing.idleAfterMs) {
        this.letGo(room, undefined);
        void this.release(room.name);
        continue;
      }
      this.deps.leases.renew(ownerLease(room.name), this.deps.nodeName, this.deps.timing.leaseTtlMs).then(
        (held) => {
          if (held || this.rooms.get(room.name) !== room) return;
          this.deps.log.warn({ room: room.name }, 'lost a room lease; another node sequences it now');
          this.letGo(room, 'moved');
        },
        (error: unknown) => this.deps.log.debug({ room: room.name, err: errorOf(error) }, 'could not renew a room lease'),
      );
    }
  }

  // --- storing -----------------------------------------------------------------------------

  private scheduleTick(): void {
    if (this.tickScheduled || this.inFlight !== undefined || this.queued === 0) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.tick();
    });
  }

  /** Assigns ids to everything queued in ready rooms and stores it with one insert. */
  private tick(): void {
    if (this.inFlight !== undefined) return;
    const now = Date.now();
    const batch = new Map<OwnedRoom, StoredChatMessage[]>();
    const late = new Map<string, PushRefusal[]>();
    const messages: StoredChatMessage[] = [];
    for (const room of this.rooms.values()) {
      if (!room.ready || room.queue.length === 0) continue;
      const assigned: StoredChatMessage[] = [];
      for (const { origin, push } of room.queue) {
        if (push.deadline < now) {
          const list = late.get(origin) ?? [];
          list.push({ room: room.name, pushId: push.pushId, reason: 'unavailable' });
          late.set(origin, list);
          continue;
        }
        room.lastSeq += 1;
        assigned.push({ room: room.name, seq: room.lastSeq, user: push.user, body: push.body, at: push.at, pushId: push.pushId });
      }
      this.queued -= room.queue.length;
      room.queue = [];
      if (assigned.length === 0) continue;
      batch.set(room, assigned);
      messages.push(...assigned);
    }
    for (const [origin, refusals] of late) this.deps.refuse(origin, refusals);
    if (messages.length === 0) return;
    for (const [room, assigned] of batch)
      for (const message of assigned) if (message.pushId !== undefined) room.storing.add(message.pushId);
    this.inFlight = this.store(batch, messages).finally(() => {
      // Stored ones are in `recent` now; the others are resent by their origins.
      for (const room of batch.keys()) room.storing.clear();
      this.inFlight = undefined;
      this.scheduleTick();
    });
  }

  private async store(batch: Map<OwnedRoom, StoredChatMessage[]>, messages: StoredChatMessage[]): Promise<void> {
    const { store, timing } = this.deps;
    try {
      await withTimeout(
        store.insert(messages),
        timing.storeTimeoutMs,
        () => new Error(`storing took longer than ${timing.storeTimeoutMs} ms`),
      );
    } catch (error) {
      this.deps.log.warn({ err: errorOf(error), messages: messages.length }, 'a chat insert failed; reading back what was stored');
      await this.readBack(batch);
      return;
    }
    for (const [room, stored] of batch) this.stored(room, stored);
  }

  private stored(room: OwnedRoom, messages: StoredChatMessage[]): void {
    for (const message of messages) this.remember(room, message);
    this.publish(room.name, messages);
  }

  /**
   * The insert's outcome is unknown: publish what the store has. A room whose read-back fails
   * or shows another owner's messages is let go without answering its pushes (their origins
   * resend; the next owner finds stored ones by push id).
   */
  private async readBack(batch: Map<OwnedRoom, StoredChatMessage[]>): Promise<void> {
    const { store, timing } = this.deps;
    await Promise.all(
      [...batch].map(async ([room, sent]) => {
        const first = sent[0]!.seq;
        let found: StoredChatMessage[];
        try {
          found = await withTimeout(
            store.after(room.name, first - 1, sent.length),
            timing.storeTimeoutMs,
            () => new Error('read-back timed out'),
          );
        } catch (error) {
          this.deps.log.warn({ room: room.name, err: errorOf(error) }, 'could not read back an insert; reading the room again');
          this.reload(room);
          return;
        }
        const bySeq = new Map(found.map((message) => [message.seq, message]));
        const ours = sent.filter((message) => bySeq.get(message.seq)?.pushId === message.pushId);
        const foreign = sent.some((message) => {
          const there = bySeq.get(message.seq);
          return there !== undefined && there.pushId !== message.pushId;
        });
        if (ours.length > 0) this.stored(room, ours);
        if (foreign) {
          this.deps.log.warn({ room: room.name }, 'another node stored messages of a room sequenced here; letting it go');
          this.letGo(room, 'moved');
          return;
        }
        // Not stored: read the room again (its origins resend, stored ones come back by push id).
        if (ours.length < sent.length) this.reload(room);
      }),
    );
  }

  private remember(room: OwnedRoom, message: StoredChatMessage): void {
    if (message.pushId === undefined) return;
    room.recent.set(message.pushId, message);
    if (room.recent.size > RECENT_WINDOW) {
      const oldest = room.recent.keys().next();
      if (oldest.done !== true) room.recent.delete(oldest.value);
    }
  }

  private publish(room: string, messages: StoredChatMessage[]): void {
    const batch: RoomBatch = { type: 'batch', messages };
    // Local delivery waits for the publish to be accepted, so an ack (given on delivery) always
    // means published too (docs/decisions.md, "Chat: one sequencer per room").
    this.deps.topics.publish(roomTopic(room), batch).then(
      () => this.deps.deliverLocal(room, messages),
      (error: unknown) => {
        // Stored but not announced: the origins resend and get it published again (push ids).
        this.deps.log.warn({ room, err: errorOf(error) }, 'could not publish a stored chat batch');
      },
    );
  }
}
