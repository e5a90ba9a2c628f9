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
import { loadJoinHistory } from './history.js';
import { formatMessageId, toView } from './ids.js';
import type { ChatMap, ChatMapChange, ChatMessageStore, ChatTopics, Unsubscribe } from './ports.js';
import { isPresenceEntry, presenceKey, PresenceView } from './presence.js';
import { ReorderBuffer } from './reorder.js';
import { type ChatTiming, withTimeout } from './timing.js';
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

/** The cluster topic a room's messages travel on. */
export function roomTopic(room: string): string {
  return `chat.room.${room}`;
}

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
}

export interface RoomInfo {
  phase: RoomPhase;
  members: number;
  lastDelivered: number;
}

export type PushReply = { id: string };

export type RoomMsg =
  | { type: 'join'; request: JoinRequest; replyTo: ReplyTo<JoinResult> }
  | { type: 'leave'; memberId: string }
  | { type: 'push'; memberId: string; body: string; replyTo: ReplyTo<PushReply> }
  | { type: 'presence-change'; change: ChatMapChange<PresenceEntry> }
  | { type: 'node-down'; node: string }
  | { type: 'info'; replyTo: ReplyTo<RoomInfo> };

/** Follow-ups of this actor's own I/O and timers; `epoch` ties them to one activation. */
type RoomSelfMsg =
  | { type: 'activated'; epoch: number; unsubscribe: Unsubscribe; lastSeq: number; presence: Array<[string, PresenceEntry]> }
  | { type: 'activation-failed'; epoch: number; error: Error }
  | { type: 'incoming'; epoch: number; message: unknown }
  | { type: 'stored'; message: StoredChatMessage }
  | { type: 'published'; seq: number; replyTo: ReplyTo<PushReply> }
  | { type: 'gap-check'; epoch: number }
  | { type: 'gap-filled'; epoch: number; messages: StoredChatMessage[]; final: boolean }
  | { type: 'gap-fetch-failed'; epoch: number; error: Error }
  | { type: 'idle-check'; epoch: number };

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

interface Active {
  epoch: number;
  unsubscribe: Unsubscribe;
  buffer: ReorderBuffer;
  presence: PresenceView;
  gap: Gap | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface RoomState {
  phase: RoomPhase;
  /** The activation in progress or current; messages of other epochs are stale. */
  epoch: number;
  /** Messages that arrived while activating, replayed once active. */
  deferred: RoomInbox[];
  members: Map<string, Member>;
  active: Active | undefined;
  /** Local pushes published but not yet delivered here, by sequence number. */
  pendingAcks: Map<number, Array<ReplyTo<PushReply>>>;
}

// Unique across restarts of the same room, so follow-ups of a crashed incarnation are stale.
let lastEpoch = 0;
function nextEpoch(): number {
  lastEpoch += 1;
  return lastEpoch;
}

const DEFERRED_TYPES = new Set<RoomInbox['type']>([
  'join',
  'leave',
  'push',
  'presence-change',
  'node-down',
  'incoming',
  'stored',
  'published',
]);

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
      case 'published':
        // Nobody here to deliver to: stored and published is all the pusher needs.
        msg.replyTo.reply({ id: formatMessageId(msg.seq) });
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
        return this.push(state, msg.memberId, msg.body, msg.replyTo);
      case 'presence-change':
        return this.presenceChange(state, active, msg.change);
      case 'node-down':
        if (msg.node !== this.deps.nodeName) this.broadcastPresence(state, active.presence.removeNode(msg.node));
        return;
      case 'incoming':
        if (msg.epoch !== active.epoch) return;
        if (!isStoredMessage(msg.message, this.deps.room)) {
          this.log.warn({ room: this.deps.room }, 'dropped a malformed message from the room topic');
          return;
        }
        return this.offer(state, active, [msg.message]);
      case 'stored':
        return this.offer(state, active, [msg.message]);
      case 'published':
        if (msg.seq <= active.buffer.lastDelivered) {
          msg.replyTo.reply({ id: formatMessageId(msg.seq) });
        } else {
          const waiting = state.pendingAcks.get(msg.seq);
          if (waiting === undefined) state.pendingAcks.set(msg.seq, [msg.replyTo]);
          else waiting.push(msg.replyTo);
        }
        return;
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
        unsubscribe = await topics.subscribe<unknown>(roomTopic(room), (message) => self.tell({ type: 'incoming', epoch, message }));
        const [entries, newest] = await Promise.all([presence.entries(), store.latest(room, 1)]);
        const roomEntries: Array<[string, PresenceEntry]> = [];
        for (const [key, { value }] of entries) {
          if (isPresenceEntry(value) && value.room === room) roomEntries.push([key, value]);
        }
        self.tell({ type: 'activated', epoch, unsubscribe, lastSeq: newest[0]?.seq ?? 0, presence: roomEntries });
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
      } else if (msg.type === 'published') {
        msg.replyTo.reply({ id: formatMessageId(msg.seq) });
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
    if (state.pendingAcks.size > 0) {
      this.scheduleIdle(active);
      return;
    }
    this.stopTimers(active);
    void this.release(active.unsubscribe);
    state.active = undefined;
    state.phase = 'idle';
    this.log.debug({ room: this.deps.room }, 'room idle');
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
    this.broadcastPresence(state, active.presence.add(key, entry), request.memberId);
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
    this.broadcastPresence(state, active.presence.remove(member.key));
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
      this.broadcastPresence(state, active.presence.add(change.key, change.value));
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
    this.broadcastPresence(state, active.presence.remove(change.key));
  }

  // --- messages --------------------------------------------------------------------------

  private push(state: RoomState, memberId: string, body: string, replyTo: ReplyTo<PushReply>): void {
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
    const { room, store, topics, timing } = this.deps;
    const self = this.self;
    const user = member.user;
    const at = this.deps.now().toISOString();
    void (async () => {
      let message: StoredChatMessage;
      try {
        // Past the timeout the push fails and is never published (see ChatTiming.gapAbandonMs).
        message = await withTimeout(
          store.append({ room, user, body, at }, { deadline: Date.now() + timing.storeTimeoutMs }),
          timing.storeTimeoutMs,
          () => new Error(`storing took longer than ${timing.storeTimeoutMs} ms`),
        );
      } catch (error) {
        this.log.warn({ room, err: errorOf(error) }, 'could not store a chat message');
        replyTo.fail(new ChatError('unavailable', 'the message could not be stored, try again'));
        return;
      }
      // Delivered here straight away (it is stored); other nodes get it through the topic.
      self.tell({ type: 'stored', message });
      try {
        await topics.publish(roomTopic(room), message);
      } catch (error) {
        this.log.warn({ room, seq: message.seq, err: errorOf(error) }, 'could not publish a stored chat message');
        replyTo.fail(new ChatError('unavailable', 'the message was stored but not sent to other nodes'));
        return;
      }
      self.tell({ type: 'published', seq: message.seq, replyTo });
    })();
  }

  private offer(state: RoomState, active: Active, messages: StoredChatMessage[]): void {
    for (const message of messages) this.deliver(state, active.buffer.offer(message));
    this.updateGap(active);
  }

  private deliver(state: RoomState, ready: StoredChatMessage[]): void {
    for (const message of ready) {
      const payload = toView(message);
      const event: RoomEvent = { event: 'new_msg', seq: message.seq, payload, json: JSON.stringify(payload) };
      for (const member of state.members.values()) this.send(member.sink, event);
      const acks = state.pendingAcks.get(message.seq);
      if (acks !== undefined) {
        state.pendingAcks.delete(message.seq);
        for (const replyTo of acks) replyTo.reply({ id: payload.id });
      }
    }
  }

  private broadcastPresence(state: RoomState, diff: PresenceDiff | undefined, exceptMemberId?: string): void {
    if (diff === undefined) return;
    const event: RoomEvent = { event: 'presence_diff', payload: diff, json: JSON.stringify(diff) };
    for (const [memberId, member] of state.members) {
      if (memberId !== exceptMemberId) this.send(member.sink, event);
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
    for (const acks of state.pendingAcks.values()) for (const replyTo of acks) replyTo.fail(failure);
    state.pendingAcks.clear();
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

function initialState(): RoomState {
  return { phase: 'idle', epoch: 0, deferred: [], members: new Map(), active: undefined, pendingAcks: new Map() };
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
