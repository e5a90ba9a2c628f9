// What travels between nodes for a push: the origin forwards it to the room's owner through the
// owner's inbox topic, the owner publishes stored batches on the room topic (acks ride on them)
// and sends refusals back to the origin's inbox.
import type { StoredChatMessage } from './types.js';

export interface ForwardedPush {
  room: string;
  /** Unique per push (a client retry reuses it): the owner stores it once. */
  pushId: string;
  user: string;
  body: string;
  at: string;
  /** Epoch ms: an owner that has not started storing it by then drops it (and says so). */
  deadline: number;
}

/**
 * `overloaded`: the owner's queue is full; `moved`: this node does not own the room (maybe
 * `holder` does); `unavailable`: definitely not stored (e.g. too late to store).
 */
export type RefusalReason = 'overloaded' | 'moved' | 'unavailable';

export interface PushRefusal {
  room: string;
  pushId: string;
  reason: RefusalReason;
  holder?: string;
}

export type NodeInboxMsg = { type: 'forward'; origin: string; items: ForwardedPush[] } | { type: 'refused'; items: PushRefusal[] };

/** On the room topic: messages stored by one insert, ascending seq. */
export interface RoomBatch {
  type: 'batch';
  messages: StoredChatMessage[];
}

export function nodeInboxTopic(node: string): string {
  return `chat.node.${node}`;
}

export function isRoomBatch(value: unknown): value is RoomBatch {
  return typeof value === 'object' && value !== null && (value as RoomBatch).type === 'batch' && Array.isArray((value as RoomBatch).messages);
}

function isForwardedPush(value: unknown): value is ForwardedPush {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.room === 'string' &&
    typeof p.pushId === 'string' &&
    typeof p.user === 'string' &&
    typeof p.body === 'string' &&
    typeof p.at === 'string' &&
    typeof p.deadline === 'number'
  );
}

function isRefusal(value: unknown): value is PushRefusal {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.room === 'string' && typeof r.pushId === 'string' && (r.reason === 'overloaded' || r.reason === 'moved' || r.reason === 'unavailable');
}

export function isNodeInboxMsg(value: unknown): value is NodeInboxMsg {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (!Array.isArray(m.items)) return false;
  if (m.type === 'forward') return typeof m.origin === 'string' && m.items.every(isForwardedPush);
  return m.type === 'refused' && m.items.every(isRefusal);
}
