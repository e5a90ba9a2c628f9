// What the chat actors need from the outside world, as small interfaces passed in at start.
// A ClusterStore (domain/ports/cluster-store.ts) satisfies ChatCluster structurally; the MongoDB message
// store lives in persistence/chat-messages.ts; tests use in-memory fakes.
import type { StoredChatMessage } from '../../domain/chat.js';
import type { ClusterLeases, ClusterMap, ClusterTopics, MapChange, Unsubscribe } from '../../domain/ports/cluster-store.js';

export type { ChatMessageDraft } from '../../domain/chat.js';

export type { Unsubscribe } from '../../domain/ports/cluster-store.js';

/** Durable chat messages. All lists are oldest first (ascending `seq`). */
export interface ChatMessageStore {
  /**
   * Stores messages whose sequence numbers the room's owner chose, in order, in one ordered
   * insert (messages of several rooms may share it). A (room, seq) that exists already is
   * refused (the unique index is the backstop against two owners), and so is everything after
   * it. On any rejection the outcome of each message is unknown until read back with `after`.
   */
  insert(messages: StoredChatMessage[]): Promise<void>;
  /** Up to `limit` messages with seq > `afterSeq`, the oldest of them. */
  after(room: string, afterSeq: number, limit: number): Promise<StoredChatMessage[]>;
  /** The newest `limit` messages. */
  latest(room: string, limit: number): Promise<StoredChatMessage[]>;
  /** The newest `limit` messages with seq < `beforeSeq`. */
  before(room: string, beforeSeq: number, limit: number): Promise<StoredChatMessage[]>;
  /** The highest stored seq of the room (0 when it has none): cheaper than `latest(room, 1)`. */
  lastSeq(room: string): Promise<number>;
  /** Every room that has a sequence, with its last allocated sequence number. */
  rooms(): Promise<Array<{ room: string; lastSeq: number }>>;
}

export type ChatMapChange<V> = MapChange<V>;

/** The part of a cluster map the chat actors use. */
export type ChatMap<V> = Pick<ClusterMap<V>, 'set' | 'delete' | 'entries' | 'onChange'>;

export type ChatTopics = ClusterTopics;

/** Narrower than MembershipEvent on purpose: the chat actors read only node names (and fakes send only those). */
export type ChatMembershipEvent = { type: 'up'; node: { name: string } } | { type: 'down'; name: string };

export interface ChatMembership {
  onChange(listener: (event: ChatMembershipEvent) => void): Promise<Unsubscribe>;
  /** The live nodes now (for the periodic sweep of presence left by nodes nobody saw die). */
  nodes(): Promise<Array<{ name: string }>>;
}

export type ChatLeases = Pick<ClusterLeases, 'acquire' | 'renew' | 'release' | 'holder'>;

export interface ChatCluster {
  map<V>(name: string): ChatMap<V>;
  readonly topics: ChatTopics;
  readonly membership: ChatMembership;
  /** Room ownership: the node holding `chat.room-owner.<room>` sequences the room. */
  readonly leases: ChatLeases;
}
