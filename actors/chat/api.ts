// The chat branch as the gateway sees it: plain async functions over the registry's ref.
import { ask, type ActorRef } from '../kernel/index.js';
import type { ChatMsg } from './registry.js';
import type { RoomMsg } from './room.js';
import { ChatError, type ChatMessageView, type HistoryQuery, type JoinRequest, type JoinResult, type RoomSummary } from './types.js';

export interface ChatApi {
  /** Joins a member; its sink receives live events from the moment of the join (after the reply's history). */
  join(request: JoinRequest): Promise<JoinResult>;
  /** Fire and forget; unknown members are ignored. */
  leave(room: string, memberId: string): void;
  /**
   * Stores, broadcasts to the room on every node, and resolves once delivered on this node.
   * `pushId` (the client's) makes a retry of the same push idempotent.
   */
  send(room: string, memberId: string, body: string, pushId?: string): Promise<{ id: string }>;
  rooms(): Promise<RoomSummary[]>;
  history(query: HistoryQuery): Promise<ChatMessageView[]>;
  /** Pushes of this node's members not answered yet (the origin's backlog; read without a message). */
  waitingPushes(): number;
}

/** Filled in by the registry once its forwarder exists; 0 before. */
export interface PushBacklog {
  waiting: () => number;
}

export interface ChatApiOptions {
  /** Join and push time limits (the phoenix client gives up after 10 s). */
  askTimeoutMs?: number;
}

/** `rooms`: the registry's room actors, so pushes go straight to their room. */
export function createChatApi(
  registry: ActorRef<ChatMsg>,
  rooms: ReadonlyMap<string, ActorRef<RoomMsg>>,
  options: ChatApiOptions = {},
  backlog: PushBacklog = { waiting: () => 0 },
): ChatApi {
  const timeoutMs = options.askTimeoutMs ?? 8_000;
  return {
    join: (request) => ask<ChatMsg, JoinResult>(registry, (replyTo) => ({ type: 'join', request, replyTo }), timeoutMs),
    leave: (room, memberId) => registry.tell({ type: 'leave', room, memberId }),
    send: (room, memberId, body, pushId) => {
      const ref = rooms.get(room);
      if (ref === undefined) return Promise.reject(new ChatError('not_joined', 'join the room before pushing'));
      return ask<RoomMsg, { id: string }>(
        ref,
        (replyTo) => ({ type: 'push', memberId, body, ...(pushId !== undefined ? { pushId } : {}), replyTo }),
        timeoutMs,
      );
    },
    rooms: () => ask<ChatMsg, RoomSummary[]>(registry, (replyTo) => ({ type: 'rooms', replyTo }), timeoutMs),
    history: (query) => ask<ChatMsg, ChatMessageView[]>(registry, (replyTo) => ({ type: 'history', query, replyTo }), timeoutMs),
    waitingPushes: () => backlog.waiting(),
  };
}
