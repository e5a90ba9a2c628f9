// Chat data shapes shared by the room actors, the registry and the socket gateway.
import type { MessageBatch } from './fanout.js';

export type { StoredChatMessage } from '../../domain/chat.js';

/** A message as clients see it (`id` is the zero-padded sequence number). */
export interface ChatMessageView {
  id: string;
  user: string;
  body: string;
  at: string;
}

/** One connection of a user in a room (Phoenix Presence meta). */
export interface PresenceMeta {
  phx_ref: string;
  online_at: string;
  node: string;
}

/** Phoenix Presence state: `{ "<user>": { metas: [...] } }`. */
export type PresenceState = Record<string, { metas: PresenceMeta[] }>;

export interface PresenceDiff {
  joins: PresenceState;
  leaves: PresenceState;
}

/** What the cluster presence map stores per connection, keyed `<room>/<node>/<phx_ref>`. */
export interface PresenceEntry extends PresenceMeta {
  room: string;
  user: string;
}

/**
 * An event for the members of a room, encoded once by the room actor for all of them:
 * `new_msg` carries a batch of messages in room order (actors/chat/fanout.ts), `json` is the
 * presence diff already serialized.
 */
export type RoomEvent = { event: 'new_msg'; batch: MessageBatch } | { event: 'presence_diff'; payload: PresenceDiff; json: string };

/**
 * The room's way to reach one member (a channel of a socket on this node). Called from inside
 * the room actor: implementations must not throw and must not block.
 */
export interface MemberSink {
  deliver(event: RoomEvent): void;
  /** The room failed or stopped: the member is no longer in it. */
  fail(reason: string): void;
}

export interface JoinRequest {
  room: string;
  /** Unique per join on this node (e.g. socket id + join ref). */
  memberId: string;
  user: string;
  lastSeenId?: string;
  sink: MemberSink;
}

export interface JoinResult {
  phxRef: string;
  /** History up to the moment of the join, oldest first; live events follow on the sink. */
  messages: ChatMessageView[];
  recovered: boolean;
  /** Presence of the whole room (cluster-wide) at the moment of the join, including this member. */
  presence: PresenceState;
}

export interface RoomSummary {
  name: string;
  /** Distinct users online in the room, cluster-wide. */
  members: number;
  /** Open connections in the room, cluster-wide. */
  connections: number;
  lastMessageId: string | null;
}

export interface HistoryQuery {
  room: string;
  /** Only messages older than this id; newest messages when absent. */
  before?: string;
  limit: number;
}

/** An expected refusal, with a short machine-readable reason the gateway passes to clients. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly reason: string,
    message: string = reason,
  ) {
    super(message);
  }
}
