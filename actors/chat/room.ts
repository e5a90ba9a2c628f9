// One room on one node: its members here (socket sinks), the room's message stream in
// sequence order (reorder buffer fed by the cluster topic, gaps filled from the store), and
// the room's presence. A room without members hibernates: it leaves its topic and wakes up
// (re-reading its position and presence) on the next join.
//
// Over 400 lines on purpose: one state machine (idle → activating → active) whose phases share
// the member and stream state; the parts that stand alone are in reorder.ts, presence.ts,
// history.ts and ids.ts.
import { RESTART, type ActorRef, type ActorSpec, type ReplyTo } from '../kernel/index.js';
import type { Logger } from '../../domain/log.js';
import { MessageBatch } from './fanout.js';
import type { PushForwarder, PushReply } from './forwarder.js';
import { loadJoinHistory } from './history.js';
import { formatMessageId } from './ids.js';
import type { ChatMap, ChatMapChange, ChatMessageStore, ChatTopics, Unsubscribe } from './ports.js';
import { isPresenceEntry, mergePresenceDiffs, presenceKey, PresenceView } from './presence.js';
import { isRoomBatch } from './push-wire.js';
import { ReorderBuffer } from './reorder.js';
import { roomTopic } from './room-topic.js';
import type { ChatTiming } from './timing.js';
import {
  ChatError,
  type JoinRequest,
  type JoinResult,
  type MemberSink,
  type PresenceDiff,
  type PresenceEntry,
  type RoomEvent,
  type StoredChatMessage,
} from './types.js';
import { checkMessageBody } from './validation.js';

export { roomTopic } from './room-topic.js';

/** How many messages one gap look-up reads from the store. */
const GAP_FILL_LIMIT = 500;

export interface RoomDeps {
  room: string;
  nodeName: string;
  store: ChatMessageStore;
  topics: ChatTopics;
  presence: ChatMap<PresenceEntry>;
  timing: ChatTiming;
  now: () => Date;
  /** A cluster-unique presence ref for a new member. */
  newRef: () => string;
  /** Pushes go to the room's owner through it; it acks them when this actor delivers them. */
  forwarder: Pick<PushForwarder, 'submit' | 'stored'>;
}

export interface RoomInfo {
  phase: RoomPhase;
  members: number;
  lastDelivered: number;
}

export type { PushReply } from './forwarder.js';

export type RoomMsg =
  | { type: 'join'; request: JoinRequest; replyTo: ReplyTo<JoinResult> }
  | { type: 'leave'; memberId: string }
  | { type: 'push'; memberId: string; body: string; pushId?: string; replyTo: ReplyTo<PushReply> }
  | { type: 'presence-change'; change: ChatMapChange<PresenceEntry> }
  | { type: 'node-down'; node: string }
  /** A batch this node's sequencer stored (it owns the room): delivered without the topic round trip. */
  | { type: 'stored-here'; messages: StoredChatMessage[] }
  | { type: 'info'; replyTo: ReplyTo<RoomInfo> };

/** Follow-ups of this actor's own I/O and timers; `epoch` ties them to one activation. */
type RoomSelfMsg =
  | { type: 'activated'; epoch: number; unsubscribe: Unsubscribe; lastSeq: number; presence: Array<[string, PresenceEntry]> }
  | { type: 'activation-failed'; epoch: number; error: Error }
  /** What the room topic brought in one read of the cluster connection, oldest first. */
  | { type: 'incoming'; epoch: number; messages: unknown[] }
  | { type: 'gap-check'; epoch: number }
  | { type: 'gap-filled'; epoch: number; messages: StoredChatMessage[]; final: boolean }
  | { type: 'gap-fetch-failed'; epoch: number; error: Error }
  | { type: 'idle-check'; epoch: number }
  | { type: 'presence-flush'; epoch: number };

type RoomInbox = RoomMsg | RoomSelfMsg;

type RoomPhase = 'idle' | 'activating' | 'active';

interface Member {
  user: string;
  key: string;
  entry: PresenceEntry;
  sink: MemberSink;
}

interface Gap {
  since: number;
  timer: NodeJS.Timeout | undefined;
  fetching: boolean;
}

/** Presence diffs waiting for the next flush (docs/decisions.md, "Chat: presence diffs merged"). */
interface PendingPresence {
  /** In order; `from` is the local member whose own join it is (its presence_state has it). */
  diffs: Array<{ diff: PresenceDiff; from?: string }>;
  /** Members that joined while these waited, with how many diffs were before their join (in their presence_state already). */
  joinedAt: Map<string, number>;
  timer: NodeJS.Timeout;
}

interface Active {
  epoch: number;
  unsubscribe: Unsubscribe;
  buffer: ReorderBuffer;
  presence: PresenceView;
  gap: Gap | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  pendingPresence: PendingPresence | undefined;
}

export interface RoomState {
  phase: RoomPhase;
  /** The activation in progress or current; messages of other epochs are stale. */
  epoch: number;
  /** Messages that arrived while activating, replayed once active. */
  deferred: RoomInbox[];
  members: Map<string, Member>;
  active: Active | undefined;
}

// Unique across restarts of the same room, so follow-ups of a crashed incarnation are stale.
let lastEpoch = 0;
function nextEpoch(): number {
  lastEpoch += 1;
  return lastEpoch;
}

const DEFERRED_TYPES = new Set<RoomInbox['type']>(['join', 'leave', 'push', 'presence-change', 'node-down', 'incoming', 'stored-here']);

function isStoredMessage(value: unknown, room: string): value is StoredChatMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.room === room &&
    Number.isSafeInteger(m.seq) &&
    (m.seq as number) > 0 &&
    typeof m.user === 'string' &&
    typeof m.body === 'string' &&
    typeof m.at === 'string'
  );
}

function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

class Room {
  constructor(
    private readonly deps: RoomDeps,
    private readonly self: ActorRef<RoomInbox>,
    private readonly log: Logger,
  ) {}

  handle(state: RoomState, msg: RoomInbox): RoomState {
    if (msg.type === 'info') {
      msg.replyTo.reply({
        phase: state.phase,
        members: state.members.size,
        lastDelivered: state.active?.buffer.lastDelivered ?? 0,
      });
      return state;
    }
    switch (state.phase) {
      case 'idle':
        this.handleIdle(state, msg);
        break;
      case 'activating':
        this.handleActivating(state, msg);
        break;
      case 'active':
        if (state.active === undefined) throw new Error('active room without activation state');
        this.handleActive(state, state.active, msg);
        break;
    }
    return state;
  }

  // --- phases -------------------------------------------------------------------------

  private handleIdle(state: RoomState, msg: RoomInbox): void {
    switch (msg.type) {
      case 'join':
        state.deferred.push(msg);
        this.activate(state);
        return;
      case 'push':
        msg.replyTo.fail(new ChatError('not_joined', 'join the room before pushing'));
        return;
      case 'activated':
        void this.release(msg.unsubscribe);
        return;
      default:
        return;
    }
  }

  private handleActivating(state: RoomState, msg: RoomInbox): void {
    if (msg.type === 'activated' || msg.type === 'activation-failed') {
      if (msg.epoch !== state.epoch) {
        if (msg.type === 'activated') void this.release(msg.unsubscribe);
        return;
      }
      if (msg.type === 'activated') this.onActivated(state, msg);
      else this.onActivationFailed(state, msg.error);
      return;
    }
    if (DEFERRED_TYPES.has(msg.type)) state.deferred.push(msg);
  }

  private handleActive(state: RoomState, active: Active, msg: RoomInbox): void {
    switch (msg.type) {
      case 'join':
        return this.join(state, active, msg.request, msg.replyTo);
      case 'leave':
        return this.leave(state, active, msg.memberId);
      case 'push':
        return this.push(state, msg.memberId, msg.body, msg.pushId, msg.replyTo);
      case 'presence-change':
        return this.presenceChange(state, active, msg.change);
      case 'node-down':
        if (msg.node !== this.deps.nodeName) this.queuePresence(active, active.presence.removeNode(msg.node));
        return;
      case 'incoming':
        if (msg.epoch === active.epoch) this.offer(state, active, this.storedOf(msg.messages));
        return;
      case 'stored-here':
        return this.offer(state, active, msg.messages);
      case 'gap-check':
        if (msg.epoch === active.epoch) this.checkGap(active);
        return;
      case 'gap-filled':
        if (msg.epoch === active.epoch) this.gapFilled(state, active, msg.messages, msg.final);
        return;
      case 'gap-fetch-failed':
        if (msg.epoch !== active.epoch || active.gap === undefined) return;
        this.log.warn({ room: this.deps.room, err: msg.error }, 'gap look-up in the message store failed; retrying');
        active.gap.fetching = false;
        this.scheduleGapCheck(active, this.deps.timing.gapRetryMs);
        return;
      case 'idle-check':
        if (msg.epoch === active.epoch) this.idleCheck(state, active);
        return;
      case 'presence-flush':
        if (msg.epoch === active.epoch) this.flushPresence(state, active);
        return;
      case 'activated':
        void this.release(msg.unsubscribe);
        return;
      case 'activation-failed':
      case 'info':
        return;
    }
  }

  // --- activation and hibernation -----------------------------------------------------

  private activate(state: RoomState): void {
    const epoch = nextEpoch();
    state.phase = 'activating';
    state.epoch = epoch;
    const { room, topics, presence, store } = this.deps;
    const self = this.self;
    void (async () => {
      let unsubscribe: Unsubscribe | undefined;
      try {
        // Subscribe first: whatever is published from now on arrives; whatever was published
        // before is in the store at or below the position read next.
        // Batches that arrive together (one read of the cluster connection under load) are
        // handed over as one: one delivery, so one write per member instead of one per batch.
        let arrived: unknown[] | undefined;
        unsubscribe = await topics.subscribe<unknown>(roomTopic(room), (message) => {
          if (arrived !== undefined) {
            arrived.push(message);
            return;
          }
          const messages = [message];
          arrived = messages;
          setImmediate(() => {
            arrived = undefined;
            self.tell({ type: 'incoming', epoch, messages });
          });
        });
        const [entries, lastSeq] = await Promise.all([presence.entries(), store.lastSeq(room)]);
        const roomEntries: Array<[string, PresenceEntry]> = [];
        for (const [key, { value }] of entries) {
          if (isPresenceEntry(value) && value.room === room) roomEntries.push([key, value]);
        }
        self.tell({ type: 'activated', epoch, unsubscribe, lastSeq, presence: roomEntries });
      } catch (error) {
        if (unsubscribe !== undefined) void this.release(unsubscribe);
        self.tell({ type: 'activation-failed', epoch, error: errorOf(error) });
      }
    })();
  }

  private onActivated(state: RoomState, msg: Extract<RoomInbox, { type: 'activated' }>): void {
    const presence = new PresenceView(this.deps.room);
    presence.reset(msg.presence);
    state.active = {
      epoch: msg.epoch,
      unsubscribe: msg.unsubscribe,
      buffer: new ReorderBuffer(msg.lastSeq),
      presence,
      gap: undefined,
      idleTimer: undefined,
      pendingPresence: undefined,
    };
    state.phase = 'active';
    this.log.debug({ room: this.deps.room, lastSeq: msg.lastSeq }, 'room active');
    const deferred = state.deferred;
    state.deferred = [];
    for (const message of deferred) this.handle(state, message);
    if (state.members.size === 0) this.scheduleIdle(state.active);
  }

  private onActivationFailed(state: RoomState, error: Error): void {
    this.log.warn({ room: this.deps.room, err: error }, 'room could not start (cluster or store unavailable)');
    state.phase = 'idle';
    const deferred = state.deferred;
    state.deferred = [];
    for (const msg of deferred) {
      if (msg.type === 'join' || msg.type === 'push') {
        msg.replyTo.fail(new ChatError('unavailable', 'the room is unavailable, try again'));
      }
    }
  }

  private scheduleIdle(active: Active): void {
    if (active.idleTimer !== undefined) clearTimeout(active.idleTimer);
    const epoch = active.epoch;
    active.idleTimer = setTimeout(() => this.self.tell({ type: 'idle-check', epoch }), this.deps.timing.idleAfterMs);
  }

  private idleCheck(state: RoomState, active: Active): void {
    active.idleTimer = undefined;
    if (state.members.size > 0) return;
    this.stopTimers(active);
    void this.release(active.unsubscribe).then(() => this.destroyTopicIfUnused());
    state.active = undefined;
    state.phase = 'idle';
    this.log.debug({ room: this.deps.room }, 'room idle');
  }

  /** Nobody is in the room on any node: free its topic in the cluster store (it comes back on the next publish). */
  private async destroyTopicIfUnused(): Promise<void> {
    const { room, presence, topics } = this.deps;
    try {
      const entries = await presence.entries();
      if (entries.some(([, { value }]) => isPresenceEntry(value) && value.room === room)) return;
      await topics.destroy(roomTopic(room));
      this.log.debug({ room }, 'destroyed the topic of an idle room');
    } catch (error) {
      this.log.debug({ room, err: errorOf(error) }, 'could not destroy the topic of an idle room');
    }
  }

  // --- members ---------------------------------------------------------------------------

  private join(state: RoomState, active: Active, request: JoinRequest, replyTo: ReplyTo<JoinResult>): void {
    if (state.members.has(request.memberId)) this.leave(state, active, request.memberId);
    const { room, nodeName, presence: presenceMap, store } = this.deps;
    const entry: PresenceEntry = {
      room,
      user: request.user,
      node: nodeName,
      phx_ref: this.deps.newRef(),
      online_at: this.deps.now().toISOString(),
    };
    const key = presenceKey(entry);
    state.members.set(request.memberId, { user: request.user, key, entry, sink: request.sink });
    if (active.idleTimer !== undefined) {
      clearTimeout(active.idleTimer);
      active.idleTimer = undefined;
    }
    const pending = this.pendingPresenceOf(active);
    pending.joinedAt.set(request.memberId, pending.diffs.length);
    this.queuePresence(active, active.presence.add(key, entry), request.memberId);
    const presence = active.presence.state();
    const cut = active.buffer.lastDelivered;

    void presenceMap.set(key, entry, 1).catch((error: unknown) => {
      this.log.warn({ room, err: errorOf(error) }, 'could not publish a presence to the cluster');
    });
    const self = this.self;
    loadJoinHistory(store, room, cut, request.lastSeenId).then(
      (history) => replyTo.reply({ phxRef: entry.phx_ref, messages: history.messages, recovered: history.recovered, presence }),
      (error: unknown) => {
        this.log.warn({ room, err: errorOf(error) }, 'could not load history for a join');
        self.tell({ type: 'leave', memberId: request.memberId });
        replyTo.fail(new ChatError('unavailable', 'history is unavailable, try again'));
      },
    );
  }

  private leave(state: RoomState, active: Active, memberId: string): void {
    const member = state.members.get(memberId);
    if (member === undefined) return;
    state.members.delete(memberId);
    this.queuePresence(active, active.presence.remove(member.key));
    this.forgetPresence(member.key);
    if (state.members.size === 0) this.scheduleIdle(active);
  }

  private forgetPresence(key: string): void {
    void this.deps.presence.delete(key).catch((error: unknown) => {
      this.log.warn({ room: this.deps.room, err: errorOf(error) }, 'could not remove a presence from the cluster');
    });
  }

  private presenceChange(state: RoomState, active: Active, change: ChatMapChange<PresenceEntry>): void {
    if (change.type === 'set') {
      if (!isPresenceEntry(change.value) || change.value.room !== this.deps.room) return;
      this.queuePresence(active, active.presence.add(change.key, change.value));
      return;
    }
    const local = [...state.members.values()].find((member) => member.key === change.key);
    if (local !== undefined) {
      // Someone removed a connection that is alive here (e.g. they wrongly thought this node
      // was down): put it back rather than lose it from everyone's list.
      void this.deps.presence.set(local.key, local.entry, 1).catch((error: unknown) => {
        this.log.warn({ room: this.deps.room, err: errorOf(error) }, 'could not restore a presence in the cluster');
      });
      return;
    }
    this.queuePresence(active, active.presence.remove(change.key));
  }

  // --- messages --------------------------------------------------------------------------

  private push(state: RoomState, memberId: string, body: string, pushId: string | undefined, replyTo: ReplyTo<PushReply>): void {
    const member = state.members.get(memberId);
    if (member === undefined) {
      replyTo.fail(new ChatError('not_joined', 'join the room before pushing'));
      return;
    }
    const problem = checkMessageBody(body);
    if (problem !== undefined) {
      replyTo.fail(new ChatError('invalid_body', problem));
      return;
    }
    this.deps.forwarder.submit(this.deps.room, member.user, body, pushId, replyTo);
  }

  /** The stored messages of well-formed room batches, in arrival order. */
  private storedOf(batches: unknown[]): StoredChatMessage[] {
    const stored: StoredChatMessage[] = [];
    for (const batch of batches) {
      if (isRoomBatch(batch) && batch.messages.every((m) => isStoredMessage(m, this.deps.room))) stored.push(...batch.messages);
      else this.log.warn({ room: this.deps.room }, 'dropped a malformed message from the room topic');
    }
    return stored;
  }

  private offer(state: RoomState, active: Active, messages: StoredChatMessage[]): void {
    const ready: StoredChatMessage[] = [];
    for (const message of messages) {
      // Already delivered here (a republished retry): its push, if from here, is done.
      if (message.seq <= active.buffer.lastDelivered) this.settle(message);
      else ready.push(...active.buffer.offer(message));
    }
    this.deliver(state, ready);
    this.updateGap(active);
  }

  /** Delivers messages (in order) to every member here with one event, then acks the pushes among them. */
  private deliver(state: RoomState, ready: StoredChatMessage[]): void {
    if (ready.length === 0) return;
    const event: RoomEvent = { event: 'new_msg', batch: new MessageBatch(ready) };
    for (const member of state.members.values()) this.send(member.sink, event);
    for (const message of ready) this.settle(message);
  }

  private settle(message: StoredChatMessage): void {
    if (message.pushId !== undefined) this.deps.forwarder.stored(message.pushId, formatMessageId(message.seq));
  }

  private pendingPresenceOf(active: Active): PendingPresence {
    if (active.pendingPresence === undefined) {
      const epoch = active.epoch;
      const timer = setTimeout(() => this.self.tell({ type: 'presence-flush', epoch }), this.deps.timing.presenceFlushMs);
      active.pendingPresence = { diffs: [], joinedAt: new Map(), timer };
    }
    return active.pendingPresence;
  }

  private queuePresence(active: Active, diff: PresenceDiff | undefined, from?: string): void {
    if (diff === undefined) return;
    this.pendingPresenceOf(active).diffs.push(from === undefined ? { diff } : { diff, from });
  }

  /**
   * Sends the waiting diffs merged into one presence_diff, encoded once for every member that
   * was there before them all; a member that joined meanwhile gets only what came after its
   * join, without its own join.
   */
  private flushPresence(state: RoomState, active: Active): void {
    const pending = active.pendingPresence;
    active.pendingPresence = undefined;
    if (pending === undefined || pending.diffs.length === 0) return;
    const common = presenceEvent(mergePresenceDiffs(pending.diffs.map(({ diff }) => diff)));
    for (const [memberId, member] of state.members) {
      const since = pending.joinedAt.get(memberId);
      if (since === undefined) {
        this.send(member.sink, common);
        continue;
      }
      const later = pending.diffs.slice(since).filter(({ from }) => from !== memberId);
      if (later.length > 0) this.send(member.sink, presenceEvent(mergePresenceDiffs(later.map(({ diff }) => diff))));
    }
  }

  private send(sink: MemberSink, event: RoomEvent): void {
    try {
      sink.deliver(event);
    } catch (error) {
      this.log.error({ room: this.deps.room, err: errorOf(error) }, 'a member sink threw');
    }
  }

  // --- gaps ------------------------------------------------------------------------------

  private updateGap(active: Active): void {
    if (!active.buffer.hasGap()) {
      if (active.gap?.timer !== undefined) clearTimeout(active.gap.timer);
      active.gap = undefined;
      return;
    }
    if (active.gap !== undefined) return;
    active.gap = { since: Date.now(), timer: undefined, fetching: false };
    this.scheduleGapCheck(active, this.deps.timing.gapWaitMs);
  }

  private scheduleGapCheck(active: Active, delayMs: number): void {
    const gap = active.gap;
    if (gap === undefined || gap.timer !== undefined) return;
    const epoch = active.epoch;
    gap.timer = setTimeout(() => this.self.tell({ type: 'gap-check', epoch }), delayMs);
  }

  private checkGap(active: Active): void {
    const gap = active.gap;
    if (gap === undefined) return;
    gap.timer = undefined;
    if (!active.buffer.hasGap()) {
      this.updateGap(active);
      return;
    }
    if (gap.fetching) return;
    gap.fetching = true;
    // A look-up that starts after the abandon time decides: what it does not find was never stored.
    const final = Date.now() - gap.since >= this.deps.timing.gapAbandonMs;
    const epoch = active.epoch;
    const self = this.self;
    this.deps.store.after(this.deps.room, active.buffer.lastDelivered, GAP_FILL_LIMIT).then(
      (messages) => self.tell({ type: 'gap-filled', epoch, messages, final }),
      (error: unknown) => self.tell({ type: 'gap-fetch-failed', epoch, error: errorOf(error) }),
    );
  }

  private gapFilled(state: RoomState, active: Active, messages: StoredChatMessage[], final: boolean): void {
    const gap = active.gap;
    if (gap !== undefined) gap.fetching = false;
    for (const message of messages) {
      if (isStoredMessage(message, this.deps.room)) this.deliver(state, active.buffer.offer(message));
    }
    if (final && active.buffer.hasGap()) {
      const from = active.buffer.lastDelivered + 1;
      this.deliver(state, active.buffer.skipGap());
      this.log.warn({ room: this.deps.room, from, to: active.buffer.lastDelivered }, 'gave up on message sequences that were never stored');
      if (active.gap !== undefined) active.gap.since = Date.now();
    }
    if (!active.buffer.hasGap()) {
      this.updateGap(active);
      return;
    }
    this.scheduleGapCheck(active, this.deps.timing.gapRetryMs);
  }

  // --- stopping --------------------------------------------------------------------------

  private stopTimers(active: Active): void {
    if (active.idleTimer !== undefined) clearTimeout(active.idleTimer);
    if (active.pendingPresence !== undefined) clearTimeout(active.pendingPresence.timer);
    active.pendingPresence = undefined;
    if (active.gap?.timer !== undefined) clearTimeout(active.gap.timer);
    active.idleTimer = undefined;
    if (active.gap !== undefined) active.gap.timer = undefined;
  }

  private async release(unsubscribe: Unsubscribe): Promise<void> {
    try {
      await unsubscribe();
    } catch (error) {
      this.log.warn({ room: this.deps.room, err: errorOf(error) }, 'could not unsubscribe from the room topic');
    }
  }

  /** The room stops or crashed: its members are out (their channels error), its work is dropped. */
  shutdown(state: RoomState, reason: string): void {
    for (const member of state.members.values()) {
      try {
        member.sink.fail(reason);
      } catch (error) {
        this.log.error({ room: this.deps.room, err: errorOf(error) }, 'a member sink threw');
      }
      this.forgetPresence(member.key);
    }
    state.members.clear();
    const failure = new ChatError('unavailable', `room ${this.deps.room} ${reason}`);
    for (const msg of state.deferred) if (msg.type === 'join' || msg.type === 'push') msg.replyTo.fail(failure);
    state.deferred = [];
    if (state.active !== undefined) {
      this.stopTimers(state.active);
      void this.release(state.active.unsubscribe);
      state.active = undefined;
    }
    state.phase = 'idle';
  }
}

function presenceEvent(diff: PresenceDiff): RoomEvent {
  return { event: 'presence_diff', payload: diff, json: JSON.stringify(diff) };
}

function initialState(): RoomState {
  return { phase: 'idle', epoch: 0, deferred: [], members: new Map(), active: undefined };
}

export function roomActorName(room: string): string {
  return `room-${room}`;
}

/** The actor of one room on this node (a child of the chat registry). */
export function roomSpec(deps: RoomDeps): ActorSpec<RoomState, RoomInbox> {
  // Behaviour only (deps, own ref, logger); all mutable data lives in the state.
  let room: Room | undefined;
  return {
    name: roomActorName(deps.room),
    restart: RESTART.dynamic,
    init(ctx) {
      room = new Room(deps, ctx.self, ctx.log.child({ room: deps.room }));
      return initialState();
    },
    handle(state, message, ctx) {
      room ??= new Room(deps, ctx.self, ctx.log.child({ room: deps.room }));
      try {
        return room.handle(state, message);
      } catch (error) {
        // Like a linked process exit: the members' channels error and their clients rejoin
        // the fresh incarnation the supervisor starts.
        room.shutdown(state, 'crashed');
        throw error;
      }
    },
    onStop(state) {
      room?.shutdown(state, 'stopped');
    },
  };
}
