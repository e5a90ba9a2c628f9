// Real-process chat clusters for the @integration tests: FerretDB, one Hazelcast member and N
// node processes (test/support/cluster-harness.ts), plus a phoenix-client user that records
// what a page would show, and a raw WebSocket speaking the wire protocol by hand.
import { Presence, Socket, type Channel, type PresenceMetaList } from 'phoenix';
import { WebSocket } from 'ws';
import type { ChatMessageView } from '../../../actors/chat/types.js';
import { startClusterHarness, type ClusterHarness } from '../../support/cluster-harness.js';
import { http } from '../../support/http.js';
import type { TestNode } from '../../support/nodes.js';

/** The stores and the nodes; `stop()` stops all of it (safe after a failed start). */
export type ChatStack = ClusterHarness;

/**
 * Starts the stores and the nodes: a count, or one env override per node. The first node
 * alone applies the migrations; the others start once it is ready.
 */
export function startChatStack(nodes: number | Array<Record<string, string>>): Promise<ChatStack> {
  return startClusterHarness({ nodes, logLevel: 'info' });
}

export function socketUrl(node: TestNode): string {
  return `ws://127.0.0.1:${node.port}/socket`;
}

export async function roomHistory(node: TestNode, room: string, limit = 200): Promise<ChatMessageView[]> {
  const answer = await http(`${node.adminUrl}/api/v1/chat/rooms/${room}/messages?limit=${limit}`);
  if (answer.status !== 200) throw new Error(`history of ${room} on ${node.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body as { messages: ChatMessageView[] }).messages;
}

export interface JoinReply {
  messages: ChatMessageView[];
  recovered: boolean;
}

export type PushResult = { body: string; id: string } | { body: string; error: string };

export type PresenceList = Array<{ user: string; nodes: string[] }>;

function listOf(state: Record<string, PresenceMetaList>): PresenceList {
  return Object.entries(state)
    .map(([user, { metas }]) => ({ user, nodes: metas.map((meta) => String(meta.node)).sort() }))
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/**
 * One user in one room through the real phoenix client, keeping a message log the way the
 * chat page does: history from every (re)join reply, then live messages, each id once.
 */
export class PhoenixUser {
  readonly socket: Socket;
  readonly channel: Channel;
  readonly presence: Presence;
  /** Presence state kept by hand with Presence.syncState / syncDiff. */
  private syncedState: Record<string, PresenceMetaList> = {};
  readonly log: ChatMessageView[] = [];
  readonly joinReplies: JoinReply[] = [];
  /** Ids of this user's acked pushes, in ack order. */
  readonly acks: string[] = [];
  lastSeenId: string | undefined;
  private joined: Promise<JoinReply> | undefined;

  constructor(
    readonly url: string,
    readonly room: string,
    readonly user: string,
    options: { lastSeenId?: string; /** Join and push reply timeout (default 8 s). */ timeoutMs?: number } = {},
  ) {
    this.lastSeenId = options.lastSeenId;
    this.socket = new Socket(url, {
      transport: WebSocket,
      timeout: options.timeoutMs ?? 8_000,
      reconnectAfterMs: () => 200,
      rejoinAfterMs: () => 200,
    });
    this.channel = this.socket.channel(`room:${room}`, () => ({
      user: this.user,
      ...(this.lastSeenId !== undefined ? { last_seen_id: this.lastSeenId } : {}),
    }));
    this.presence = new Presence(this.channel);
    this.channel.on<Record<string, PresenceMetaList>>('presence_state', (state) => {
      this.syncedState = Presence.syncState(this.syncedState, state);
    });
    this.channel.on<object>('presence_diff', (diff) => {
      this.syncedState = Presence.syncDiff(this.syncedState, diff);
    });
    this.channel.on<ChatMessageView>('new_msg', (message) => this.record([message]));
  }

  private record(messages: ChatMessageView[]): void {
    for (const message of messages) {
      if (this.lastSeenId !== undefined && message.id <= this.lastSeenId) continue;
      this.log.push(message);
      this.lastSeenId = message.id;
    }
  }

  /** Connects and joins; resolves with the first join reply (later rejoins are recorded too). */
  join(): Promise<JoinReply> {
    this.joined ??= new Promise((resolve, reject) => {
      this.socket.connect();
      this.channel
        .join()
        .receive<JoinReply>('ok', (reply) => {
          this.joinReplies.push(reply);
          this.record(reply.messages);
          resolve(reply);
        })
        .receive('error', (reply) => reject(new Error(`join refused: ${JSON.stringify(reply)}`)))
        .receive('timeout', () => reject(new Error('join timed out')));
    });
    return this.joined;
  }

  send(body: string): Promise<PushResult> {
    return new Promise((resolve) => {
      this.channel
        .push('new_msg', { body })
        .receive<{ id: string }>('ok', ({ id }) => {
          this.acks.push(id);
          resolve({ body, id });
        })
        .receive<{ reason: string }>('error', ({ reason }) => resolve({ body, error: reason }))
        .receive('timeout', () => resolve({ body, error: 'timeout' }));
    });
  }

  /** Sends every body, one per `intervalMs` (under the 20/s limit), without waiting for acks. */
  async sendPaced(bodies: string[], intervalMs: number): Promise<PushResult[]> {
    const results: Array<Promise<PushResult>> = [];
    for (const body of bodies) {
      results.push(this.send(body));
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    return Promise.all(results);
  }

  /** Users per the phoenix Presence instance (what a page shows). */
  users(): PresenceList {
    return listOf(Object.fromEntries(this.presence.list((user, metas) => [user, metas] as const)));
  }

  /** Users per the hand-kept syncState/syncDiff state. */
  syncedUsers(): PresenceList {
    return listOf(this.syncedState);
  }

  /** Drops the connection (the channel errors; connect() again rejoins with last_seen_id). */
  disconnect(): Promise<void> {
    return new Promise((resolve) => this.socket.disconnect(() => resolve()));
  }

  close(): Promise<void> {
    return this.disconnect();
  }
}

/** A WebSocket speaking the v2 frames by hand, for what the phoenix client never sends. */
export class RawSocket {
  private readonly frames: unknown[][] = [];
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(`${url}/websocket?vsn=2.0.0`);
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as unknown[]);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('close', () => reject(new Error('closed before opening')));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The reply to the push with `ref` (waits up to timeoutMs). */
  async reply(ref: string, timeoutMs = 5_000): Promise<{ status: string; response: Record<string, unknown> }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.find((f) => f[1] === ref && f[3] === 'phx_reply');
      if (frame !== undefined) return frame[4] as { status: string; response: Record<string, unknown> };
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply to ref ${ref}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
