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

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function stringFields(record: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.every((key) => typeof record[key] === 'string');
}

const REFUSAL_REASONS: ReadonlySet<unknown> = new Set<RefusalReason>(['overloaded', 'moved', 'unavailable']);

export function isRoomBatch(value: unknown): value is RoomBatch {
  const record = asRecord(value);
  return record?.type === 'batch' && Array.isArray(record.messages);
}

function isForwardedPush(value: unknown): value is ForwardedPush {
  const record = asRecord(value);
  return record !== undefined && stringFields(record, ['room', 'pushId', 'user', 'body', 'at']) && typeof record.deadline === 'number';
}

function isRefusal(value: unknown): value is PushRefusal {
  const record = asRecord(value);
  return record !== undefined && stringFields(record, ['room', 'pushId']) && REFUSAL_REASONS.has(record.reason);
}

export function isNodeInboxMsg(value: unknown): value is NodeInboxMsg {
  const record = asRecord(value);
  if (record === undefined || !Array.isArray(record.items)) return false;
  if (record.type === 'forward') return typeof record.origin === 'string' && record.items.every(isForwardedPush);
  return record.type === 'refused' && record.items.every(isRefusal);
}
