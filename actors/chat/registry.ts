// The chat branch of a node: the registry spawns one room actor per room on demand (its
// children, restarted by it), routes member traffic and cluster presence events to them,
// cleans up the presence of nodes that went down, and answers room lists and history.
import { RESTART, type ActorContext, type ActorRef, type ActorSpec, type ReplyTo } from '../kernel/index.js';
import type { Logger } from '../../domain/log.js';
import type { PushBacklog } from './api.js';
import { PushForwarder, type PushReply } from './forwarder.js';
import { formatMessageId, parseMessageId, toView } from './ids.js';
import type { ChatCluster, ChatMap, ChatMapChange, ChatMembershipEvent, ChatMessageStore, Unsubscribe } from './ports.js';
import { isPresenceEntry, PRESENCE_MAP, roomOfPresenceKey } from './presence.js';
import { isNodeInboxMsg, type NodeInboxMsg, nodeInboxTopic, type PushRefusal } from './push-wire.js';
import { type RoomMsg, roomSpec } from './room.js';
import { Sequencer } from './sequencer.js';
import { type ChatTiming, withTimeout } from './timing.js';
import {
  ChatError,
  type ChatMessageView,
  type HistoryQuery,
  type JoinRequest,
  type JoinResult,
  type PresenceEntry,
  type RoomSummary,
} from './types.js';
import { isRoomName } from './validation.js';

export const HISTORY_MAX_LIMIT = 200;
/** How long a stopping node tries to remove its presence from the cluster. */
const STOP_PURGE_TIMEOUT_MS = 2_000;

export interface ChatRegistryDeps {
  nodeName: string;
  store: ChatMessageStore;
  cluster: ChatCluster;
  timing: ChatTiming;
  now: () => Date;
  newRef: () => string;
  /** This node's room actors by room, shared with the chat API so pushes skip the registry. */
  rooms: Map<string, ActorRef<RoomMsg>>;
  /** Shared with the chat API: how many pushes the forwarder holds (admission at the socket). */
  backlog: PushBacklog;
}

/** What others send the registry: the chat API's calls, and `room-ref` (a room's actor, for tests that crash one). */
export type ChatMsg =
  | { type: 'join'; request: JoinRequest; replyTo: ReplyTo<JoinResult> }
  | { type: 'leave'; room: string; memberId: string }
  | { type: 'push'; room: string; memberId: string; body: string; pushId?: string; replyTo: ReplyTo<PushReply> }
  | { type: 'rooms'; replyTo: ReplyTo<RoomSummary[]> }
  | { type: 'history'; query: HistoryQuery; replyTo: ReplyTo<ChatMessageView[]> }
  | { type: 'room-ref'; room: string; replyTo: ReplyTo<ActorRef<RoomMsg> | undefined> };

/** What the registry sends itself (cluster events, the presence sweep); nobody else may. */
type InternalMsg =
  | { type: 'presence-change'; change: ChatMapChange<PresenceEntry> }
  | { type: 'membership'; event: ChatMembershipEvent }
  | { type: 'presence-sweep' }
  | { type: 'presence-swept'; absent: string[] };

type RegistryMsg = ChatMsg | InternalMsg;

export interface ChatRegistryState {
  rooms: Map<string, ActorRef<RoomMsg>>;
  unsubscribes: Unsubscribe[];
  sweepTimer: NodeJS.Timeout | undefined;
  /** Nodes with presence entries that were not cluster members at the last sweep. */
  suspects: Set<string>;
}

function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** Removes every presence entry of `node` (idempotent: any surviving node may do it). */
export async function purgeNodePresence(presence: ChatMap<PresenceEntry>, node: string): Promise<number> {
  const entries = await presence.entries();
  const stale = entries.filter(([, { value }]) => isPresenceEntry(value) && value.node === node).map(([key]) => key);
  await Promise.all(stale.map((key) => presence.delete(key)));
  return stale.length;
}

/**
 * Nodes that own presence entries but are not in `live`. Undefined when `self` is not in
 * `live` either: then the membership view is not trustworthy (not joined yet, or the cluster
 * store lost its data) and nothing should be removed on its word.
 */
export function absentPresenceNodes(
  entries: Array<[string, { value: unknown }]>,
  live: Array<{ name: string }>,
  self: string,
): string[] | undefined {
  const liveNames = new Set(live.map((node) => node.name));
  if (!liveNames.has(self)) return undefined;
  const absent = new Set<string>();
  for (const [, { value }] of entries) {
    if (isPresenceEntry(value) && value.node !== self && !liveNames.has(value.node)) absent.add(value.node);
  }
  return [...absent].sort();
}

export async function summarizeRooms(presence: ChatMap<PresenceEntry>, store: ChatMessageStore): Promise<RoomSummary[]> {
  const [entries, stored] = await Promise.all([presence.entries(), store.rooms()]);
  const rooms = new Map<string, { users: Set<string>; connections: number; lastSeq: number }>();
  const roomOf = (name: string) => {
    let room = rooms.get(name);
    if (room === undefined) {
      room = { users: new Set(), connections: 0, lastSeq: 0 };
      rooms.set(name, room);
    }
    return room;
  };
  for (const { room, lastSeq } of stored) if (isRoomName(room)) roomOf(room).lastSeq = lastSeq;
  for (const [, { value }] of entries) {
    if (!isPresenceEntry(value) || !isRoomName(value.room)) continue;
    const room = roomOf(value.room);
    room.users.add(value.user);
    room.connections += 1;
  }
  return [...rooms]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, room]) => ({
      name,
      members: room.users.size,
      connections: room.connections,
      lastMessageId: room.lastSeq > 0 ? formatMessageId(room.lastSeq) : null,
    }));
}

export async function loadHistory(store: ChatMessageStore, query: HistoryQuery): Promise<ChatMessageView[]> {
  if (!isRoomName(query.room)) throw new ChatError('invalid_room', 'room must match [A-Za-z0-9_-]{1,64}');
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > HISTORY_MAX_LIMIT) {
    throw new ChatError('invalid_limit', `limit must be 1..${HISTORY_MAX_LIMIT}`);
  }
  if (query.before === undefined) return (await store.latest(query.room, query.limit)).map(toView);
  const before = parseMessageId(query.before);
  if (before === undefined) throw new ChatError('invalid_before', 'before must be a message id (12 digits)');
  return (await store.before(query.room, before, query.limit)).map(toView);
}

class Registry {
  private readonly presence: ChatMap<PresenceEntry>;
  readonly sequencer: Sequencer;
  readonly forwarder: PushForwarder;

  constructor(
    private readonly deps: ChatRegistryDeps,
    private readonly ctx: ActorContext<RegistryMsg>,
    private readonly log: Logger,
  ) {
    this.presence = deps.cluster.map<PresenceEntry>(PRESENCE_MAP);
    const { nodeName, store, cluster, timing, now } = deps;
    this.sequencer = new Sequencer({
      nodeName,
      store,
      topics: cluster.topics,
      leases: cluster.leases,
      timing,
      log: log.child({ part: 'sequencer' }),
      refuse: (origin, refusals) => this.refuse(origin, refusals),
      deliverLocal: (room, messages) => deps.rooms.get(room)?.tell({ type: 'stored-here', messages }),
    });
    this.forwarder = new PushForwarder({
      nodeName,
      topics: cluster.topics,
      timing,
      log: log.child({ part: 'forwarder' }),
      submitLocal: (pushes) => this.sequencer.submit(nodeName, pushes),
      now,
    });
    const forwarder = this.forwarder;
    deps.backlog.waiting = () => forwarder.pendingCount();
  }

  private refuse(origin: string, refusals: PushRefusal[]): void {
    if (origin === this.deps.nodeName) {
      this.forwarder.refused(refusals);
      return;
    }
    const message: NodeInboxMsg = { type: 'refused', items: refusals };
    this.deps.cluster.topics.publish(nodeInboxTopic(origin), message).catch((error: unknown) => {
      this.log.warn({ origin, err: errorOf(error) }, 'could not send chat refusals back; the origin resends');
    });
  }

  /** Pushes forwarded to this node's sequencer, and refusals of this node's pushes. */
  private fromInbox(message: unknown): void {
    if (!isNodeInboxMsg(message)) {
      this.log.warn("dropped a malformed message from this node's chat inbox");
      return;
    }
    if (message.type === 'forward') this.sequencer.submit(message.origin, message.items);
    else this.forwarder.refused(message.items);
  }

  async init(): Promise<ChatRegistryState> {
    const self = this.ctx.self;
    const unsubscribes: Unsubscribe[] = [];
    try {
      unsubscribes.push(await this.presence.onChange((change) => self.tell({ type: 'presence-change', change })));
      unsubscribes.push(await this.deps.cluster.membership.onChange((event) => self.tell({ type: 'membership', event })));
      unsubscribes.push(await this.deps.cluster.topics.subscribe<unknown>(nodeInboxTopic(this.deps.nodeName), (m) => this.fromInbox(m)));
      this.forwarder.setLive((await this.deps.cluster.membership.nodes()).map((node) => node.name));
    } catch (error) {
      await this.release(unsubscribes);
      throw error;
    }
    // Entries of an earlier life of this node (crash, restart under the same name) are stale.
    this.purge(this.deps.nodeName, 'stale presence of this node from before it started');
    const sweepTimer = setInterval(() => self.tell({ type: 'presence-sweep' }), this.deps.timing.presenceSweepMs);
    sweepTimer.unref();
    this.deps.rooms.clear();
    return { rooms: this.deps.rooms, unsubscribes, sweepTimer, suspects: new Set() };
  }

  handle(state: ChatRegistryState, msg: RegistryMsg): ChatRegistryState {
    switch (msg.type) {
      case 'join':
        if (!isRoomName(msg.request.room)) {
          msg.replyTo.fail(new ChatError('invalid_room', 'room must match [A-Za-z0-9_-]{1,64}'));
          break;
        }
        this.roomRef(state, msg.request.room).tell({ type: 'join', request: msg.request, replyTo: msg.replyTo });
        break;
      case 'leave':
        state.rooms.get(msg.room)?.tell({ type: 'leave', memberId: msg.memberId });
        break;
      case 'push': {
        const room = state.rooms.get(msg.room);
        if (room === undefined) msg.replyTo.fail(new ChatError('not_joined', 'join the room before pushing'));
        else
          room.tell({
            type: 'push',
            memberId: msg.memberId,
            body: msg.body,
            ...(msg.pushId !== undefined ? { pushId: msg.pushId } : {}),
            replyTo: msg.replyTo,
          });
        break;
      }
      case 'rooms':
        summarizeRooms(this.presence, this.deps.store).then(
          (rooms) => msg.replyTo.reply(rooms),
          (error: unknown) => msg.replyTo.fail(this.unavailable(error, 'rooms')),
        );
        break;
      case 'history':
        loadHistory(this.deps.store, msg.query).then(
          (messages) => msg.replyTo.reply(messages),
          (error: unknown) => msg.replyTo.fail(error instanceof ChatError ? error : this.unavailable(error, 'history')),
        );
        break;
      case 'room-ref':
        msg.replyTo.reply(state.rooms.get(msg.room));
        break;
      case 'presence-change': {
        const room =
          msg.change.type === 'delete'
            ? roomOfPresenceKey(msg.change.key)
            : isPresenceEntry(msg.change.value)
              ? msg.change.value.room
              : undefined;
        if (room !== undefined) state.rooms.get(room)?.tell({ type: 'presence-change', change: msg.change });
        break;
      }
      case 'membership':
        if (msg.event.type === 'up') this.forwarder.nodeUp(msg.event.node.name);
        else this.forwarder.nodeDown(msg.event.name);
        if (msg.event.type === 'down' && msg.event.name !== this.deps.nodeName) {
          this.nodeDown(state, msg.event.name, 'node down: removing its chat presence');
        }
        break;
      case 'presence-sweep':
        this.sweep();
        break;
      case 'presence-swept':
        for (const node of msg.absent) {
          if (state.suspects.has(node)) this.nodeDown(state, node, 'presence of a node that is not in the cluster: removing it');
        }
        state.suspects = new Set(msg.absent);
        break;
    }
    return state;
  }

  private nodeDown(state: ChatRegistryState, node: string, why: string): void {
    for (const room of state.rooms.values()) room.tell({ type: 'node-down', node });
    this.purge(node, why);
  }

  private sweep(): void {
    const self = this.ctx.self;
    Promise.all([this.presence.entries(), this.deps.cluster.membership.nodes()]).then(
      ([entries, live]) => {
        const absent = absentPresenceNodes(entries, live, this.deps.nodeName);
        if (absent !== undefined) self.tell({ type: 'presence-swept', absent });
      },
      (error: unknown) => this.log.debug({ err: errorOf(error) }, 'chat presence sweep failed'),
    );
  }

  /**
   * The node stops: its rooms have stopped (children first) and their own deletes may not have
   * reached the cluster, so remove whatever presence of this node is left, within a bound.
   */
  async purgeOwnPresence(): Promise<void> {
    const node = this.deps.nodeName;
    try {
      await withTimeout(purgeNodePresence(this.presence, node), STOP_PURGE_TIMEOUT_MS, () => new Error('timed out'));
    } catch (error) {
      this.log.warn({ node, err: errorOf(error) }, "could not remove this node's chat presence while stopping");
    }
  }

  /** The node's pushes: the sequencer hands its rooms over, the forwarder answers what it holds. */
  async stopPushes(): Promise<void> {
    await this.sequencer.stop();
    this.forwarder.stop();
  }

  /** The node stops for good (its name may never come back): free its inbox topic. */
  async destroyInbox(): Promise<void> {
    try {
      await this.deps.cluster.topics.destroy(nodeInboxTopic(this.deps.nodeName));
    } catch (error) {
      this.log.debug({ err: errorOf(error) }, "could not destroy this node's chat inbox topic");
    }
  }

  stopTimer(state: ChatRegistryState): void {
    if (state.sweepTimer !== undefined) clearInterval(state.sweepTimer);
    state.sweepTimer = undefined;
  }

  private roomRef(state: ChatRegistryState, room: string): ActorRef<RoomMsg> {
    let ref = state.rooms.get(room);
    if (ref === undefined) {
      const { nodeName, store, cluster, timing, now, newRef } = this.deps;
      const forwarder = this.forwarder;
      ref = this.ctx.spawn(
        roomSpec({ room, nodeName, store, topics: cluster.topics, presence: this.presence, timing, now, newRef, forwarder }),
      );
      state.rooms.set(room, ref);
    }
    return ref;
  }

  private purge(node: string, why: string): void {
    purgeNodePresence(this.presence, node).then(
      (removed) => {
        if (removed > 0) this.log.info({ node, removed }, why);
      },
      (error: unknown) => this.log.warn({ node, err: errorOf(error) }, 'could not purge chat presence of a node'),
    );
  }

  private unavailable(error: unknown, what: string): ChatError {
    this.log.warn({ err: errorOf(error) }, `chat ${what} look-up failed`);
    return new ChatError('unavailable', `${what} unavailable, try again`);
  }

  async release(unsubscribes: Unsubscribe[]): Promise<void> {
    await Promise.all(
      unsubscribes.map((unsubscribe) =>
        unsubscribe().catch((error: unknown) => this.log.warn({ err: errorOf(error) }, 'could not unsubscribe')),
      ),
    );
  }
}

export const CHAT_REGISTRY_ACTOR_NAME = 'registry';

/** The chat branch's top actor; spawn it under the node's root supervisor. */
export function registrySpec(deps: ChatRegistryDeps): ActorSpec<ChatRegistryState, ChatMsg> {
  let registry: Registry | undefined;
  // Handles the internal messages too; its ref is typed to the public ones only.
  const spec: ActorSpec<ChatRegistryState, RegistryMsg> = {
    name: CHAT_REGISTRY_ACTOR_NAME,
    restart: RESTART.registry,
    async init(ctx) {
      registry = new Registry(deps, ctx, ctx.log.child({ actor: CHAT_REGISTRY_ACTOR_NAME }));
      return registry.init();
    },
    handle(state, message, ctx) {
      registry ??= new Registry(deps, ctx, ctx.log.child({ actor: CHAT_REGISTRY_ACTOR_NAME }));
      try {
        return registry.handle(state, message);
      } catch (error) {
        registry.stopTimer(state);
        void registry.release(state.unsubscribes);
        void registry.stopPushes();
        throw error;
      }
    },
    async onStop(state) {
      if (registry === undefined) return;
      registry.stopTimer(state);
      await registry.release(state.unsubscribes);
      await registry.stopPushes();
      await registry.destroyInbox();
      await registry.purgeOwnPresence();
    },
  };
  return spec;
}
