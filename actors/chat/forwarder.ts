// The origin side of pushes on one node (docs/decisions.md, "Chat: one sequencer per room"):
// holds each push of this node's members until it is answered, forwards the unsent ones once
// per tick, grouped by owner node (one topic publish per owner), resends what stays unanswered
// (to the owner of the moment: pushes are idempotent by push id), and refuses at once past its
// queue bounds or once the room's oldest unanswered push has waited too long (docs/decisions.md,
// "Chat: admission by queued age"). A push is acked when its room actor here delivered the
// stored message.
import type { Logger } from '../../domain/log.js';
import type { ReplyTo } from '../kernel/index.js';
import { rendezvousOwner } from './ownership.js';
import type { ChatTopics } from './ports.js';
import { type ForwardedPush, type NodeInboxMsg, nodeInboxTopic, type PushRefusal } from './push-wire.js';
import type { ChatTiming } from './timing.js';
import { ChatError } from './types.js';

export type PushReply = { id: string };

export interface ForwarderDeps {
  nodeName: string;
  topics: ChatTopics;
  timing: ChatTiming;
  log: Logger;
  /** This node's own sequencer (pushes it owns skip the topic). */
  submitLocal(pushes: ForwardedPush[]): void;
  now: () => Date;
}

interface Pending {
  push: ForwardedPush;
  replies: Array<ReplyTo<PushReply>>;
  /** When it was last forwarded (0: not yet, or due again). */
  sentAt: number;
  sentTo: string | undefined;
  acceptedAt: number;
  /** Sent again (owner moved, went down, or did not answer): the room is changing hands. */
  rerouted: boolean;
  giveUpAt: number;
}

function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

export class PushForwarder {
  private readonly pending = new Map<string, Pending>();
  /** Each room's unanswered pushes, oldest first. */
  private readonly perRoom = new Map<string, Set<Pending>>();
  /** Room holders learned from `moved` refusals; they win over the hash until they go down. */
  private readonly holders = new Map<string, string>();
  private readonly live = new Set<string>();
  private tickScheduled = false;
  private counter = 0;
  private readonly bootId = Date.now().toString(36);
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly deps: ForwarderDeps) {
    this.live.add(deps.nodeName);
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(20, Math.floor(deps.timing.resendMs / 4)));
    this.sweepTimer.unref();
  }

  /** Queues a push of a member of `room`; `clientPushId` (from the client) makes retries idempotent. */
  submit(room: string, user: string, body: string, clientPushId: string | undefined, replyTo: ReplyTo<PushReply>): void {
    const pushId = clientPushId !== undefined ? `${user}/${clientPushId}` : `${this.deps.nodeName}.${this.bootId}.${++this.counter}`;
    const existing = this.pending.get(pushId);
    if (existing !== undefined) {
      existing.replies.push(replyTo);
      return;
    }
    const { pushTimeoutMs, storeTimeoutMs } = this.deps.timing;
    const now = Date.now();
    const waiting = this.perRoom.get(room);
    if (this.overloaded(waiting, now)) {
      replyTo.fail(new ChatError('overloaded', 'too many messages are waiting; try again shortly'));
      return;
    }
    const push: ForwardedPush = {
      room,
      pushId,
      user,
      body,
      at: this.deps.now().toISOString(),
      deadline: now + pushTimeoutMs - storeTimeoutMs,
    };
    const pending: Pending = {
      push,
      replies: [replyTo],
      sentAt: 0,
      sentTo: undefined,
      acceptedAt: now,
      rerouted: false,
      giveUpAt: now + pushTimeoutMs,
    };
    this.pending.set(pushId, pending);
    if (waiting === undefined) this.perRoom.set(room, new Set([pending]));
    else waiting.add(pending);
    this.scheduleTick();
  }

  /**
   * Past the queue bounds, or when the room's oldest unanswered push has waited longer than
   * `maxQueueAgeMs` while the node holds a backlog (`queueAgeMinWaiting`): a new push would
   * only wait behind pushes the room does not drain in time, so it is refused at once instead
   * (nothing is forwarded, so nothing is stored).
   */
  private overloaded(waiting: Set<Pending> | undefined, now: number): boolean {
    const { maxRoomQueue, maxNodeQueue, maxQueueAgeMs, queueAgeMinWaiting } = this.deps.timing;
    if (this.pending.size >= maxNodeQueue) return true;
    if (waiting === undefined) return false;
    if (waiting.size >= maxRoomQueue) return true;
    if (this.pending.size < queueAgeMinWaiting) return false;
    // Not while the room changes owner: its pushes wait for the new one, which is no overload.
    const oldest = waiting.values().next();
    return oldest.done !== true && !oldest.value.rerouted && now - oldest.value.acceptedAt > maxQueueAgeMs;
  }

  /** A stored message with this push id was delivered here (or had been): ack its push. */
  stored(pushId: string, id: string): void {
    const pending = this.finish(pushId);
    if (pending !== undefined) for (const replyTo of pending.replies) replyTo.reply({ id });
  }

  refused(refusals: PushRefusal[]): void {
    for (const refusal of refusals) {
      const pending = this.pending.get(refusal.pushId);
      if (pending === undefined) continue;
      if (refusal.reason !== 'moved') {
        this.finish(refusal.pushId);
        const error =
          refusal.reason === 'overloaded'
            ? new ChatError('overloaded', 'the room is busy; try again shortly')
            : new ChatError('unavailable', 'the message was not stored; try again');
        for (const replyTo of pending.replies) replyTo.fail(error);
        continue;
      }
      if (refusal.holder !== undefined && this.live.has(refusal.holder)) this.holders.set(refusal.room, refusal.holder);
      else this.holders.delete(refusal.room);
      // Due again shortly (not at once: the old owner may still be letting the room go).
      pending.rerouted = true;
      pending.sentAt = Date.now() - this.deps.timing.resendMs + Math.min(100, this.deps.timing.resendMs);
    }
  }

  nodeUp(name: string): void {
    this.live.add(name);
  }

  nodeDown(name: string): void {
    if (name === this.deps.nodeName) return;
    this.live.delete(name);
    for (const [room, holder] of this.holders) if (holder === name) this.holders.delete(room);
    for (const pending of this.pending.values()) {
      if (pending.sentTo !== name) continue;
      pending.sentAt = 0;
      pending.rerouted = true;
    }
    this.scheduleTick();
  }

  setLive(names: string[]): void {
    this.live.clear();
    this.live.add(this.deps.nodeName);
    for (const name of names) this.live.add(name);
  }

  /** The node stops: nothing more is forwarded; unanswered pushes get `timeout` (their outcome is unknown). */
  stop(): void {
    clearInterval(this.sweepTimer);
    for (const pushId of [...this.pending.keys()]) this.timeOut(pushId);
  }

  pendingCount(): number {
    return this.pending.size;
  }

  // --- forwarding --------------------------------------------------------------------------

  private ownerOf(room: string): string {
    return this.holders.get(room) ?? rendezvousOwner(room, this.live) ?? this.deps.nodeName;
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    const now = Date.now();
    const byOwner = new Map<string, ForwardedPush[]>();
    for (const pending of this.pending.values()) {
      if (pending.sentAt !== 0) continue;
      const owner = this.ownerOf(pending.push.room);
      pending.sentAt = now;
      pending.sentTo = owner;
      const list = byOwner.get(owner) ?? [];
      list.push(pending.push);
      byOwner.set(owner, list);
    }
    for (const [owner, items] of byOwner) {
      if (owner === this.deps.nodeName) {
        this.deps.submitLocal(items);
        continue;
      }
      const message: NodeInboxMsg = { type: 'forward', origin: this.deps.nodeName, items };
      this.deps.topics.publish(nodeInboxTopic(owner), message).catch((error: unknown) => {
        this.deps.log.warn({ owner, err: errorOf(error) }, 'could not forward chat pushes; they are resent');
      });
    }
  }

  private sweep(): void {
    const now = Date.now();
    let due = false;
    for (const [pushId, pending] of this.pending) {
      if (now >= pending.giveUpAt) {
        this.timeOut(pushId);
      } else if (pending.sentAt !== 0 && now - pending.sentAt >= this.deps.timing.resendMs) {
        pending.sentAt = 0;
        pending.rerouted = true;
        due = true;
      }
    }
    if (due) this.scheduleTick();
  }

  private timeOut(pushId: string): void {
    const pending = this.finish(pushId);
    if (pending === undefined) return;
    const error = new ChatError('timeout', 'no answer in time: the message may or may not be stored; retry with the same push_id');
    for (const replyTo of pending.replies) replyTo.fail(error);
  }

  private finish(pushId: string): Pending | undefined {
    const pending = this.pending.get(pushId);
    if (pending === undefined) return undefined;
    this.pending.delete(pushId);
    const room = pending.push.room;
    const waiting = this.perRoom.get(room);
    waiting?.delete(pending);
    if (waiting?.size === 0) this.perRoom.delete(room);
    return pending;
  }
}
