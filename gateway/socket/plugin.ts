// `GET /socket/websocket?vsn=2.0.0[&token=…]`: the Phoenix-protocol chat endpoint on Fastify.
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../domain/log.js';
import { clampUserName } from '../../actors/chat/index.js';
import { ChatConnection, type ChatSocketApi, type ConnectionLimits, DEFAULT_LIMITS } from './connection.js';
import { PROTOCOL_VSN } from './protocol.js';

export const SOCKET_PATH = '/socket/websocket';
/** The phoenix client sends `authToken` as this WebSocket subprotocol (base64url after it). */
const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.phx.';
/** ws closes frames above this itself (1009); between maxFrameBytes and this we close with 1008. */
const WS_MAX_PAYLOAD = 1024 * 1024;

export interface ChatSocketDeps {
  chat: ChatSocketApi;
  /** The user an (admin API) token belongs to, or undefined for an invalid token. */
  verifyToken?: (token: string) => string | undefined | Promise<string | undefined>;
  /** CHAT_REQUIRE_AUTH: refuse sockets without a valid token (403 before the upgrade). */
  requireAuth: boolean;
  nodeName: string;
  log: Logger;
  limits?: Partial<ConnectionLimits>;
}

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

/** The token from `?token=` or from the phoenix client's subprotocol form. */
export function tokenOf(request: Pick<FastifyRequest, 'query' | 'headers'>): string | undefined {
  const fromQuery = queryOf(request as FastifyRequest).token;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
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
  const log = deps.log.child({ component: 'chat-socket' });
  const connections = new Set<ChatConnection>();
  const users = new WeakMap<FastifyRequest['raw'], string>();
  let nextId = 0;

  const closeAll = (): void => {
    for (const connection of [...connections]) connection.shutdown();
  };

  if (!app.hasDecorator('websocketServer')) {
    await app.register(websocket, {
      options: { maxPayload: Math.max(WS_MAX_PAYLOAD, limits.maxFrameBytes + 1) },
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
    const vsn = queryOf(request).vsn;
    if (vsn !== undefined && vsn !== PROTOCOL_VSN) {
      await reply.code(400).send({ error: 'Bad Request', message: `unsupported protocol version; use vsn=${PROTOCOL_VSN}` });
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
      const connection = new ChatConnection({
        id,
        chat: deps.chat,
        log: log.child({ connection: id }),
        limits,
        ...(authUser !== undefined ? { authUser } : {}),
        transport: {
          send: (text) => socket.send(text),
          sendMany: (texts) => sendCorked(socket, texts),
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
      socket.on('close', () => {
        connections.delete(connection);
        connection.transportClosed();
      });
    },
  );

  return { size: () => connections.size, closeAll };
}

/** `ws` keeps its net.Socket private; corking it makes a batch of frames one write (one syscall). */
function sendCorked(socket: WebSocket, texts: string[]): void {
  const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  raw?.cork();
  try {
    for (const text of texts) socket.send(text);
  } finally {
    raw?.uncork();
  }
}
