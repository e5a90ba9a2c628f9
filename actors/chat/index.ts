// The chat branch: room actors, presence and message sequencing behind a small API.
import { randomUUID } from 'node:crypto';
import type { ActorRef, ActorSpec, Spawner } from '../kernel/index.js';
import { type ChatApi, type ChatApiOptions, createChatApi, type PushBacklog } from './api.js';
import type { ChatCluster, ChatMessageStore } from './ports.js';
import { type ChatMsg, type ChatRegistryState, registrySpec } from './registry.js';
import type { RoomMsg } from './room.js';
import { type ChatTiming, resolveTiming } from './timing.js';

export type { ChatApi, ChatApiOptions } from './api.js';
export type * from './ports.js';
export type * from './types.js';
export { ChatError } from './types.js';
export { formatMessageId, parseMessageId } from './ids.js';
export { checkMessageBody, checkUserName, clampUserName, isRoomName, roomOfTopic, ROOM_TOPIC_PREFIX } from './validation.js';
export { HISTORY_MAX_LIMIT, CHAT_REGISTRY_ACTOR_NAME, type ChatMsg } from './registry.js';
export { PRESENCE_MAP } from './presence.js';
export { roomTopic } from './room.js';
export { DEFAULT_CHAT_TIMING, type ChatTiming } from './timing.js';
export { fanoutCounters, MessageBatch, type FrameEncoder } from './fanout.js';

export interface ChatDeps {
  nodeName: string;
  store: ChatMessageStore;
  /** A ClusterStore fits (only maps, topics and membership events are used). */
  cluster: ChatCluster;
  timing?: Partial<ChatTiming>;
  now?: () => Date;
  newRef?: () => string;
}

/** The supervised `chat` actor (registry of room actors) to spawn under a node's root. */
export function chatSpec(
  deps: ChatDeps,
  rooms: Map<string, ActorRef<RoomMsg>> = new Map(),
  backlog: PushBacklog = { waiting: () => 0 },
): ActorSpec<ChatRegistryState, ChatMsg> {
  return registrySpec({
    rooms,
    backlog,
    nodeName: deps.nodeName,
    store: deps.store,
    cluster: deps.cluster,
    timing: resolveTiming(deps.timing),
    now: deps.now ?? (() => new Date()),
    newRef: deps.newRef ?? (() => randomUUID()),
  });
}

export interface ChatBranch {
  ref: ActorRef<ChatMsg>;
  api: ChatApi;
}

/** Spawns the chat branch under `parent` (an actor system or a supervisor's context). */
export function startChat(parent: Spawner, deps: ChatDeps, options?: ChatApiOptions): ChatBranch {
  const rooms = new Map<string, ActorRef<RoomMsg>>();
  const backlog: PushBacklog = { waiting: () => 0 };
  const ref = parent.spawn(chatSpec(deps, rooms, backlog));
  return { ref, api: createChatApi(ref, rooms, options, backlog) };
}
