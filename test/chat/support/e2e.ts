// End-to-end helpers: a chat "node" (actor system + Fastify with the chat socket and HTTP
// routes) on a free loopback port, and a chat client built on the real `phoenix` package.
import Fastify, { type FastifyInstance } from 'fastify';
import { Presence, Socket, type Channel } from 'phoenix';
import { WebSocket } from 'ws';
import type { ChatMessageStore } from '../../../actors/chat/ports.js';
import type { LocalCluster } from '../../../cluster/local/index.js';
import type { ChatMessageView } from '../../../actors/chat/types.js';
import { registerChatHttp, registerChatSocket, type ChatSocketHandle } from '../../../gateway/socket/index.js';
import type { ConnectionLimits } from '../../../gateway/socket/connection.js';
import { silentLogger, type Logger } from '../../../domain/log.js';
import { freePort } from '../../support/ports.js';
import { startClusterNode, type ClusterNode } from './harness.js';

export interface ChatServer {
  name: string;
  port: number;
  app: FastifyInstance;
  node: ClusterNode;
  sockets: ChatSocketHandle;
  url: string;
  stop(): Promise<void>;
  /** The node dies: cluster connection gone without goodbye, sockets dropped, actors stopped. */
  kill(): Promise<void>;
}

export async function startChatServer(
  name: string,
  hub: LocalCluster,
  store: ChatMessageStore,
  options: {
    requireAuth?: boolean;
    verifyToken?: (token: string) => string | undefined;
    limits?: Partial<ConnectionLimits>;
    log?: Logger;
    allowedOrigins?: string[] | '*';
    maxSockets?: number;
    maxSocketsPerClient?: number;
  } = {},
): Promise<ChatServer> {
  const node = await startClusterNode(name, hub, store);
  const app = Fastify({ logger: false });
  const log = options.log ?? silentLogger;
  try {
    const sockets = await registerChatSocket(app, {
      chat: node.api,
      requireAuth: options.requireAuth ?? false,
      ...(options.verifyToken !== undefined ? { verifyToken: options.verifyToken } : {}),
      nodeName: name,
      log,
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.allowedOrigins !== undefined ? { allowedOrigins: options.allowedOrigins } : {}),
      ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
      ...(options.maxSocketsPerClient !== undefined ? { maxSocketsPerClient: options.maxSocketsPerClient } : {}),
    });
    registerChatHttp(app, { chat: node.api, log });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    let stopped = false;
    return {
      name,
      port,
      app,
      node,
      sockets,
      url: `ws://127.0.0.1:${port}/socket`,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await app.close();
        } finally {
          await node.stop();
        }
      },
      async kill() {
        if (stopped) return;
        stopped = true;
        await node.cluster.close();
        try {
          await app.close();
        } finally {
          await node.kill();
        }
      },
    };
  } catch (error) {
    await app.close();
    await node.stop();
    throw error;
  }
}

export interface JoinReply {
  messages: ChatMessageView[];
  recovered: boolean;
}

/** One user in one room through the phoenix client, recording what it sees. */
export class ChatClient {
  readonly socket: Socket;
  readonly channel: Channel;
  readonly presence: Presence;
  readonly messages: ChatMessageView[] = [];
  readonly errors: unknown[] = [];
  joinReply: JoinReply | undefined;
  lastSeenId: string | undefined;

  constructor(
    url: string,
    readonly room: string,
    readonly user: string,
    options: { lastSeenId?: string; params?: Record<string, unknown>; authToken?: string } = {},
  ) {
    this.lastSeenId = options.lastSeenId;
    this.socket = new Socket(url, {
      transport: WebSocket,
      reconnectAfterMs: () => 100,
      rejoinAfterMs: () => 100,
      ...(options.params !== undefined ? { params: options.params } : {}),
      ...(options.authToken !== undefined ? { authToken: options.authToken } : {}),
    });
    this.channel = this.socket.channel(`room:${room}`, () => ({
      user: this.user,
      ...(this.lastSeenId !== undefined ? { last_seen_id: this.lastSeenId } : {}),
    }));
    this.presence = new Presence(this.channel);
    this.channel.on<ChatMessageView>('new_msg', (message) => {
      this.messages.push(message);
      this.lastSeenId = message.id;
    });
    this.channel.onError((reason) => this.errors.push(reason));
  }

  /** Connects and joins; resolves with the join reply. */
  join(): Promise<JoinReply> {
    this.socket.connect();
    return new Promise((resolve, reject) => {
      this.channel
        .join()
        .receive<JoinReply>('ok', (reply) => {
          this.joinReply = reply;
          for (const message of reply.messages) this.lastSeenId = message.id;
          resolve(reply);
        })
        .receive('error', (reply) => reject(new Error(`join refused: ${JSON.stringify(reply)}`)))
        .receive('timeout', () => reject(new Error('join timed out')));
    });
  }

  send(body: string): Promise<{ id: string }> {
    return new Promise((resolve, reject) => {
      this.channel
        .push('new_msg', { body })
        .receive<{ id: string }>('ok', resolve)
        .receive('error', (reply) => reject(new Error(`push refused: ${JSON.stringify(reply)}`)))
        .receive('timeout', () => reject(new Error('push timed out')));
    });
  }

  /** Users in the room per the phoenix Presence list, sorted, with their connection counts. */
  users(): Array<[string, number]> {
    return this.presence.list((user, { metas }) => [user, metas.length] as [string, number]).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.disconnect(() => resolve()));
  }
}
