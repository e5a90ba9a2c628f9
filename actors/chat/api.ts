// The chat branch as the gateway sees it: plain async functions over the registry's ref.
import { ask, type ActorRef } from '../kernel/index.js';
import type { ChatMsg } from './registry.js';
import type { ChatMessageView, HistoryQuery, JoinRequest, JoinResult, RoomSummary } from './types.js';

export interface ChatApi {
  /** Joins a member; its sink receives live events from the moment of the join (after the reply's history). */
  join(request: JoinRequest): Promise<JoinResult>;
  /** Fire and forget; unknown members are ignored. */
  leave(room: string, memberId: string): void;
  /** Stores, broadcasts to the room on every node, and resolves once delivered on this node. */
  send(room: string, memberId: string, body: string): Promise<{ id: string }>;
  rooms(): Promise<RoomSummary[]>;
  history(query: HistoryQuery): Promise<ChatMessageView[]>;
}

export interface ChatApiOptions {
  /** Join and push time limits (the phoenix client gives up after 10 s). */
  askTimeoutMs?: number;
}

export function createChatApi(registry: ActorRef<ChatMsg>, options: ChatApiOptions = {}): ChatApi {
  const timeoutMs = options.askTimeoutMs ?? 8_000;
  return {
    join: (request) => ask<ChatMsg, JoinResult>(registry, (replyTo) => ({ type: 'join', request, replyTo }), timeoutMs),
    leave: (room, memberId) => registry.tell({ type: 'leave', room, memberId }),
    send: (room, memberId, body) =>
      ask<ChatMsg, { id: string }>(registry, (replyTo) => ({ type: 'push', room, memberId, body, replyTo }), timeoutMs),
    rooms: () => ask<ChatMsg, RoomSummary[]>(registry, (replyTo) => ({ type: 'rooms', replyTo }), timeoutMs),
    history: (query) => ask<ChatMsg, ChatMessageView[]>(registry, (replyTo) => ({ type: 'history', query, replyTo }), timeoutMs),
  };
}
