// `GET /socket/websocket?vsn=2.0.0`: the Phoenix-protocol chat endpoint on Fastify. A token
// comes in the Sec-WebSocket-Protocol header (the phoenix client's `authToken`), never in the
// URL, which proxies and access logs keep (docs/security.md, "Chat").
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../domain/log.js';
import { clampUserName } from '../../actors/chat/index.js';
import { DEFAULT_ADMISSION, SocketAdmission } from './admission.js';
import { type LoadShedderOptions, startLoadShedder } from '../client/load-shedder.js';
import { frameBatchWriter } from './frame-writer.js';
import { ChatConnection, type ChatSocketApi, type ConnectionLimits, DEFAULT_LIMITS } from './connection.js';
import { PROTOCOL_VSN } from './protocol.js';

export const SOCKET_PATH = '/socket/websocket';
/** The phoenix client sends `authToken` as this WebSocket subprotocol (base64url after it). */
const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.phx.';

export interface ChatSocketDeps {
  chat: ChatSocketApi;
  /** The user an (admin API) token belongs to, or undefined for an invalid token. */
  verifyToken?: (token: string) => string | undefined | Promise<string | undefined>;
  /** CHAT_REQUIRE_AUTH: refuse sockets without a valid token (403 before the upgrade). */
  requireAuth: boolean;
  nodeName: string;
  log: Logger;
  limits?: Partial<ConnectionLimits>;
  /** CHAT_ALLOWED_ORIGINS; default: the node's own origin. */
  allowedOrigins?: readonly string[] | '*';
  /** CHAT_MAX_SOCKETS (default 10 000). */
  maxSockets?: number;
  /** CHAT_MAX_SOCKETS_PER_CLIENT (default 50). */
  maxSocketsPerClient?: number;
  /** When pushes are refused because the node's event loop is late (default: PUSH_SHEDDING). */
  pushShedding?: LoadShedderOptions;
}

/**
 * Pushes are refused `overloaded` at once while the node's event loop is late most of a short
 * window and pushes wait on this node (docs/decisions.md, "Chat: admission by queued age"):
 * accepting more would only queue deliveries behind work the node cannot finish in time. A
 * late loop alone (a start, one long task) is no backlog.
 */
export const PUSH_SHEDDING = { maxEventLoopDelayMs: 50, windowMs: 250 } as const;
/** Pushes waiting on this node below which a late loop does not refuse any. */
export const PUSH_SHEDDING_MIN_WAITING = 20;

export interface ChatSocketHandle {
  /** Open chat sockets on this node. */
  size(): number;
  /** Going-away close of every socket (node shutdown); also done by Fastify's close. */
  closeAll(): void;
}

function queryOf(request: FastifyRequest): Record<string, unknown> {
  const query = request.query;
  return typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
}

/** The token from the phoenix client's subprotocol form (`base64url.bearer.phx.<token>`). */
export function tokenOf(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols !== 'string') return undefined;
  for (const protocol of protocols.split(',')) {
    const trimmed = protocol.trim();
    if (!trimmed.startsWith(TOKEN_PROTOCOL_PREFIX)) continue;
    const decoded = Buffer.from(trimmed.slice(TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
    return decoded === '' ? undefined : decoded;
  }
  return undefined;
}

function rawDataText(data: RawData): { text: string; bytes: number } {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return { text: buffer.toString('utf8'), bytes: buffer.byteLength };
}

export async function registerChatSocket(app: FastifyInstance, deps: ChatSocketDeps): Promise<ChatSocketHandle> {
  if (deps.requireAuth && deps.verifyToken === undefined) {
    throw new Error('chat socket: requireAuth (CHAT_REQUIRE_AUTH) needs a verifyToken function');
  }
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const admission = new SocketAdmission({
    allowedOrigins: deps.allowedOrigins ?? DEFAULT_ADMISSION.allowedOrigins,
    maxSockets: deps.maxSockets ?? DEFAULT_ADMISSION.maxSockets,
    maxSocketsPerClient: deps.maxSocketsPerClient ?? DEFAULT_ADMISSION.maxSocketsPerClient,
  });
  const log = deps.log.child({ component: 'chat-socket' });
  const connections = new Set<ChatConnection>();
  const shedder = startLoadShedder({ ...PUSH_SHEDDING, ...deps.pushShedding });
  app.addHook('onClose', (_instance, done) => {
    shedder.stop();
    done();
  });
  const users = new WeakMap<FastifyRequest['raw'], string>();
  let nextId = 0;

  const closeAll = (): void => {
    for (const connection of [...connections]) connection.shutdown();
  };

  if (!app.hasDecorator('websocketServer')) {
    await app.register(websocket, {
      // ws refuses larger frames itself (close 1009) before buffering them.
      options: { maxPayload: limits.maxFrameBytes },
      preClose(done) {
        closeAll();
        this.websocketServer.close(() => done());
      },
    });
  } else {
    app.addHook('preClose', (done) => {
      closeAll();
      done();
    });
  }

  const authorize = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const query = queryOf(request);
    const vsn = query.vsn;
    if (vsn !== undefined && vsn !== PROTOCOL_VSN) {
      await reply.code(400).send({ error: 'Bad Request', message: `unsupported protocol version; use vsn=${PROTOCOL_VSN}` });
      return;
    }
    if (query.token !== undefined) {
      await reply
        .code(403)
        .send({ error: 'Forbidden', message: 'send the token in the Sec-WebSocket-Protocol header (phoenix authToken), not in the URL' });
      return;
    }
    const admitted = admission.admit(request);
    if (!admitted.ok) {
      const error = { 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' }[admitted.status];
      await reply.code(admitted.status).send({ error, message: admitted.message });
      return;
    }
    if (!deps.requireAuth) return;
    const token = tokenOf(request);
    let user: string | undefined;
    if (token !== undefined && deps.verifyToken !== undefined) {
      try {
        user = await deps.verifyToken(token);
      } catch (error) {
        log.warn({ err: error instanceof Error ? error : new Error(String(error)) }, 'chat token check failed');
      }
    }
    if (user === undefined || user.trim() === '') {
      await reply.code(403).send({ error: 'Forbidden', message: 'a valid token is required to connect' });
      return;
    }
    users.set(request.raw, clampUserName(user));
  };

  app.get(
    SOCKET_PATH,
    // 'warn': Fastify's per-request info logs would print the URL, which may hold the token.
    { websocket: true, logLevel: 'warn', preValidation: authorize },
    (socket: WebSocket, request: FastifyRequest) => {
      nextId += 1;
      const id = `${deps.nodeName}#${nextId}`;
      const authUser = users.get(request.raw);
      const sendBatch = frameBatchWriter(socket);
      const connection = new ChatConnection({
        id,
        chat: deps.chat,
        log: log.child({ connection: id }),
        limits,
        ...(authUser !== undefined ? { authUser } : {}),
        overloaded: () => shedder.overloaded && (deps.chat.waitingPushes?.() ?? 0) >= PUSH_SHEDDING_MIN_WAITING,
        transport: {
          send: (text) => socket.send(text),
          sendMany: sendBatch,
          close: (code, reason) => socket.close(code, reason),
          bufferedAmount: () => socket.bufferedAmount,
        },
      });
      connections.add(connection);
      socket.on('message', (data: RawData, isBinary: boolean) => {
        if (isBinary) {
          connection.receiveBinary();
          return;
        }
        const { text, bytes } = rawDataText(data);
        connection.receiveText(text, bytes);
      });
      // ws reports what it refused itself (a frame over maxPayload: close 1009) as an error.
      socket.on('error', (error: Error) =>
        log.warn({ connection: id, reason: error.message }, 'closing a chat socket: protocol violation'),
      );
      socket.on('close', () => {
        connections.delete(connection);
        connection.transportClosed();
      });
    },
  );

  return { size: () => connections.size, closeAll };
}
