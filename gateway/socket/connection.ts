// One Phoenix-protocol socket: decodes frames, keeps the socket's channels (one per joined
// topic) and turns joins, leaves and pushes into chat API calls and their answers into frames.
// Transport-agnostic: the WebSocket plugin feeds it text and gives it a way to send and close.
import { AskTimeoutError } from '../../actors/kernel/index.js';
import {
  ChatError,
  type ChatApi,
  checkMessageBody,
  checkUserName,
  parseMessageId,
  type RoomEvent,
  roomOfTopic,
} from '../../actors/chat/index.js';
import type { Logger } from '../../domain/log.js';
import {
  CLOSE_GOING_AWAY,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  encodeBroadcast,
  encodeBroadcastJson,
  encodeChannelEnd,
  encodeReply,
  type Frame,
  HEARTBEAT,
  parseFrame,
  type Payload,
  PHOENIX_TOPIC,
  PHX_CLOSE,
  PHX_ERROR,
  PHX_JOIN,
  PHX_LEAVE,
} from './protocol.js';
import { TokenBucket } from './rate-limit.js';

export interface SocketTransport {
  send(text: string): void;
  /** Several frames as one write to the socket (a room's batch for one member). */
  sendMany(texts: string[]): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet sent. */
  bufferedAmount(): number;
}

export interface ConnectionLimits {
  /** Larger frames close the socket (policy violation). */
  maxFrameBytes: number;
  /**
   * Every frame counts (heartbeats, unmatched topics, joins…): a burst of
   * `maxRooms + 2 × framesPerSecond`, then this many per second; over it the socket is closed.
   */
  framesPerSecond: number;
  /** Channel pushes (e.g. new_msg) per second; over it: error reply `rate_limited`. */
  pushesPerSecond: number;
  /** Joins: a burst of `maxRooms + joinsPerSecond`, then this many per second. */
  joinsPerSecond: number;
  maxRooms: number;
  /** A socket that sends nothing (not even heartbeats) for this long is closed. */
  idleTimeoutMs: number;
  /** A client that does not read: past this many queued bytes the socket is closed. */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxFrameBytes: 64 * 1024,
  framesPerSecond: 50,
  pushesPerSecond: 20,
  joinsPerSecond: 20,
  maxRooms: 100,
  idleTimeoutMs: 60_000,
  maxBufferedBytes: 8 * 1024 * 1024,
};

export type ChatSocketApi = Pick<ChatApi, 'join' | 'leave' | 'send'> & Partial<Pick<ChatApi, 'waitingPushes'>>;

export interface ConnectionOptions {
  id: string;
  chat: ChatSocketApi;
  transport: SocketTransport;
  log: Logger;
  limits: ConnectionLimits;
  /** With CHAT_REQUIRE_AUTH: the user from the socket's token (join params cannot override it). */
  authUser?: string;
  /** True while the node is too busy to take pushes (docs/decisions.md, "Chat: admission by queued age"). */
  overloaded?: () => boolean;
  now?: () => number;
}

interface Channel {
  topic: string;
  room: string;
  joinRef: string;
  memberId: string;
  state: 'joining' | 'joined';
  /** Live events that arrived before the join reply went out. */
  queue: RoomEvent[];
  /** Highest message sequence sent on this channel (history included), to drop duplicates. */
  lastSeq: number;
}

function encodeNewMsg(joinRef: string, topic: string, payloadJson: string): string {
  return encodeBroadcastJson(joinRef, topic, 'new_msg', payloadJson);
}

/** A client push id: any string of 1..64 characters (scoped to the user by the server). */
function isPushId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 64;
}

export class ChatConnection {
  private readonly channels = new Map<string, Channel>();
  private readonly frames: TokenBucket;
  private readonly pushes: TokenBucket;
  private readonly joins: TokenBucket;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ConnectionOptions) {
    const { limits, now } = options;
    // A reconnect joins every room at once: leave room for that above the steady rate.
    this.frames = new TokenBucket(limits.maxRooms + 2 * limits.framesPerSecond, limits.framesPerSecond, now);
    this.pushes = new TokenBucket(limits.pushesPerSecond, limits.pushesPerSecond, now);
    // Room for joining every allowed room at once (reconnect) plus a second's worth of re-joins.
    this.joins = new TokenBucket(limits.maxRooms + limits.joinsPerSecond, limits.joinsPerSecond, now);
    this.armIdleTimer();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  // --- transport events -------------------------------------------------------------------

  /** A text frame arrived. `byteLength` is its size on the wire. */
  receiveText(text: string, byteLength: number): void {
    if (this.closed) return;
    this.armIdleTimer();
    if (byteLength > this.options.limits.maxFrameBytes) {
      this.violation(`frame of ${byteLength} bytes exceeds ${this.options.limits.maxFrameBytes}`);
      return;
    }
    if (!this.frames.take()) {
      this.violation(`more than ${this.options.limits.framesPerSecond} frames per second`);
      return;
    }
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      this.violation(parsed.reason);
      return;
    }
    try {
      this.dispatch(parsed.frame);
    } catch (error) {
      this.channelCrashed(parsed.frame.topic, error);
    }
  }

  receiveBinary(): void {
    if (this.closed) return;
    this.violation('binary frames are not accepted');
  }

  /** The transport closed (any side): leave every room. */
  transportClosed(): void {
    if (this.closed && this.channels.size === 0) return;
    this.closed = true;
    this.clearIdleTimer();
    for (const channel of this.channels.values()) this.options.chat.leave(channel.room, channel.memberId);
    this.channels.clear();
  }

  /** Node shutdown: going-away close; clients reconnect to another node. */
  shutdown(): void {
    this.close(CLOSE_GOING_AWAY, 'server shutting down');
  }

  // --- frames -----------------------------------------------------------------------------

  private dispatch(frame: Frame): void {
    if (frame.topic === PHOENIX_TOPIC) {
      if (frame.event === HEARTBEAT) this.send(encodeReply(frame, 'ok'));
      else this.send(encodeReply(frame, 'error', { reason: 'unmatched topic' }));
      return;
    }
    switch (frame.event) {
      case PHX_JOIN:
        return this.join(frame);
      case PHX_LEAVE:
        return this.leave(frame);
      default:
        return this.push(frame);
    }
  }

  private join(frame: Frame): void {
    const room = roomOfTopic(frame.topic);
    if (room === undefined) {
      this.send(encodeReply(frame, 'error', { reason: 'unmatched topic' }));
      return;
    }
    if (frame.joinRef === null) {
      this.send(encodeReply(frame, 'error', { reason: 'invalid_join', details: 'join_ref is required' }));
      return;
    }
    const existing = this.channels.get(frame.topic);
    if (existing === undefined && this.channels.size >= this.options.limits.maxRooms) {
      this.send(
        encodeReply(frame, 'error', { reason: 'too_many_rooms', details: `at most ${this.options.limits.maxRooms} rooms per socket` }),
      );
      return;
    }
    if (!this.joins.take()) {
      this.send(encodeReply(frame, 'error', { reason: 'rate_limited' }));
      return;
    }
    const params = this.joinParams(frame.payload);
    if ('problem' in params) {
      this.send(encodeReply(frame, 'error', params.problem));
      return;
    }
    if (existing !== undefined) {
      // Like Phoenix: a second join of a topic closes the first channel.
      this.endChannel(existing, PHX_CLOSE);
      this.options.chat.leave(existing.room, existing.memberId);
    }

    const channel: Channel = {
      topic: frame.topic,
      room,
      joinRef: frame.joinRef,
      memberId: `${this.options.id}/${frame.joinRef}`,
      state: 'joining',
      queue: [],
      lastSeq: 0,
    };
    this.channels.set(frame.topic, channel);
    this.options.chat
      .join({
        room,
        memberId: channel.memberId,
        user: params.user,
        ...(params.lastSeenId !== undefined ? { lastSeenId: params.lastSeenId } : {}),
        sink: {
          deliver: (event) => this.deliver(channel, event),
          fail: (reason) => this.channelFailed(channel, reason),
        },
      })
      .then(
        (result) => {
          if (!this.isCurrent(channel)) {
            this.options.chat.leave(room, channel.memberId);
            return;
          }
          for (const message of result.messages) channel.lastSeq = Math.max(channel.lastSeq, parseMessageId(message.id) ?? 0);
          const seen = result.recovered ? parseMessageId(params.lastSeenId) : undefined;
          if (seen !== undefined) channel.lastSeq = Math.max(channel.lastSeq, seen);
          this.send(encodeReply(frame, 'ok', { messages: result.messages, recovered: result.recovered }));
          this.send(encodeBroadcast(channel.joinRef, channel.topic, 'presence_state', result.presence));
          channel.state = 'joined';
          const queued = channel.queue;
          channel.queue = [];
          for (const event of queued) this.deliver(channel, event);
        },
        (error: unknown) => {
          this.options.chat.leave(room, channel.memberId);
          if (!this.isCurrent(channel)) return;
          this.channels.delete(channel.topic);
          this.send(encodeReply(frame, 'error', this.failure(error, 'join')));
        },
      );
  }

  private joinParams(payload: Payload): { user: string; lastSeenId?: string } | { problem: Payload } {
    const lastSeenId = payload.last_seen_id;
    if (lastSeenId !== undefined && lastSeenId !== null && typeof lastSeenId !== 'string') {
      return { problem: { reason: 'invalid_last_seen_id', details: 'last_seen_id must be a message id string' } };
    }
    const seen = typeof lastSeenId === 'string' ? { lastSeenId } : {};
    if (this.options.authUser !== undefined) return { user: this.options.authUser, ...seen };
    const problem = checkUserName(payload.user);
    if (problem !== undefined) return { problem: { reason: 'invalid_user', details: problem } };
    return { user: payload.user as string, ...seen };
  }

  private leave(frame: Frame): void {
    const channel = this.channels.get(frame.topic);
    const matches = channel !== undefined && (frame.joinRef === null || frame.joinRef === channel.joinRef);
    if (matches) {
      this.channels.delete(channel.topic);
      this.options.chat.leave(channel.room, channel.memberId);
    }
    // Leaving a channel that is already gone is fine: the client gets its ok and closes.
    this.send(encodeReply(frame, 'ok'));
    if (matches) this.send(encodeChannelEnd(channel.joinRef, channel.topic, PHX_CLOSE));
  }

  private push(frame: Frame): void {
    const channel = this.channels.get(frame.topic);
    if (channel === undefined || (frame.joinRef !== null && frame.joinRef !== channel.joinRef)) {
      this.send(encodeReply(frame, 'error', { reason: 'unmatched topic' }));
      return;
    }
    if (!this.pushes.take()) {
      this.send(encodeReply(frame, 'error', { reason: 'rate_limited' }));
      return;
    }
    if (channel.state !== 'joined') {
      this.send(encodeReply(frame, 'error', { reason: 'not_joined', details: 'the join is still in progress' }));
      return;
    }
    if (frame.event !== 'new_msg') {
      this.send(encodeReply(frame, 'error', { reason: 'unknown_event', details: `no handler for "${frame.event}"` }));
      return;
    }
    const problem = checkMessageBody(frame.payload.body);
    if (problem !== undefined) {
      this.send(encodeReply(frame, 'error', { reason: 'invalid_body', details: problem }));
      return;
    }
    const pushId = frame.payload.push_id;
    if (pushId !== undefined && !isPushId(pushId)) {
      this.send(encodeReply(frame, 'error', { reason: 'invalid_push_id', details: 'push_id must be a string of 1..64 characters' }));
      return;
    }
    if (this.options.overloaded?.() === true) {
      this.send(encodeReply(frame, 'error', { reason: 'overloaded', details: 'the server is busy; try again shortly' }));
      return;
    }
    this.options.chat.send(channel.room, channel.memberId, frame.payload.body as string, pushId).then(
      ({ id }) => this.send(encodeReply(frame, 'ok', { id })),
      (error: unknown) => this.send(encodeReply(frame, 'error', this.failure(error, 'push'))),
    );
  }

  // --- room events ------------------------------------------------------------------------

  private deliver(channel: Channel, event: RoomEvent): void {
    if (!this.isCurrent(channel)) return;
    if (channel.state === 'joining') {
      channel.queue.push(event);
      return;
    }
    if (event.event === 'presence_diff') {
      this.send(encodeBroadcastJson(channel.joinRef, channel.topic, event.event, event.json));
      return;
    }
    const { messages } = event.batch;
    const fresh = messages.filter((message) => message.seq > channel.lastSeq);
    const last = fresh.at(-1);
    if (last === undefined) return;
    channel.lastSeq = last.seq;
    const frames =
      fresh.length === messages.length
        ? event.batch.framesFor(channel.joinRef, channel.topic, encodeNewMsg)
        : fresh.map((message) => encodeNewMsg(channel.joinRef, channel.topic, message.json));
    this.sendMany(frames);
  }

  private channelFailed(channel: Channel, reason: string): void {
    if (!this.isCurrent(channel)) return;
    this.options.log.warn({ topic: channel.topic, reason }, 'chat channel failed on the server');
    this.endChannel(channel, PHX_ERROR);
  }

  private channelCrashed(topic: string, error: unknown): void {
    this.options.log.error({ topic, err: error instanceof Error ? error : new Error(String(error)) }, 'chat channel handler threw');
    const channel = this.channels.get(topic);
    if (channel === undefined) return;
    this.endChannel(channel, PHX_ERROR);
    this.options.chat.leave(channel.room, channel.memberId);
  }

  private endChannel(channel: Channel, event: typeof PHX_CLOSE | typeof PHX_ERROR): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.send(encodeChannelEnd(channel.joinRef, channel.topic, event));
  }

  private isCurrent(channel: Channel): boolean {
    return !this.closed && this.channels.get(channel.topic) === channel;
  }

  private failure(error: unknown, what: string): Payload {
    if (error instanceof ChatError) return { reason: error.reason, details: error.message };
    if (error instanceof AskTimeoutError) return { reason: 'timeout' };
    this.options.log.error({ err: error instanceof Error ? error : new Error(String(error)) }, `chat ${what} failed`);
    return { reason: 'internal_error' };
  }

  // --- sending and closing ----------------------------------------------------------------

  private send(text: string): void {
    if (this.writable()) this.options.transport.send(text);
  }

  private sendMany(texts: string[]): void {
    if (this.writable()) this.options.transport.sendMany(texts);
  }

  private writable(): boolean {
    if (this.closed) return false;
    if (this.options.transport.bufferedAmount() > this.options.limits.maxBufferedBytes) {
      this.options.log.warn({ connection: this.options.id }, 'closing a chat socket whose client does not read');
      this.close(CLOSE_POLICY_VIOLATION, 'slow consumer');
      return false;
    }
    return true;
  }

  private violation(reason: string): void {
    this.options.log.warn({ connection: this.options.id, reason }, 'closing a chat socket: protocol violation');
    this.close(CLOSE_POLICY_VIOLATION, reason.slice(0, 120));
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    this.transportClosed();
    this.options.transport.close(code, reason);
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.options.log.info({ connection: this.options.id }, 'closing an idle chat socket');
      this.close(CLOSE_NORMAL, 'idle timeout');
    }, this.options.limits.idleTimeoutMs);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
