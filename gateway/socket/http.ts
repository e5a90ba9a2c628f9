// Chat over plain HTTP: the room list and a room's history. Public (`config.public`, read by
// the admin server's auth-by-default hook) unless CHAT_REQUIRE_AUTH asks for a token.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ChatError, type ChatApi, HISTORY_MAX_LIMIT, isRoomName, parseMessageId } from '../../actors/chat/index.js';
import { AskTimeoutError } from '../../actors/kernel/index.js';
import type { Logger } from '../../domain/log.js';

export interface ChatHttpDeps {
  chat: Pick<ChatApi, 'rooms' | 'history'>;
  log: Logger;
  /** CHAT_REQUIRE_AUTH: the routes need an admin-API token like the rest of /api/v1. Default false. */
  requireAuth?: boolean;
}

const DEFAULT_HISTORY_LIMIT = 50;

const MessageSchema = Type.Object({ id: Type.String(), user: Type.String(), body: Type.String(), at: Type.String() });
const RoomSchema = Type.Object({
  name: Type.String(),
  members: Type.Integer({ description: 'distinct users online, cluster-wide' }),
  connections: Type.Integer({ description: 'open connections, cluster-wide' }),
  lastMessageId: Type.Union([Type.String(), Type.Null()]),
});
const ProblemSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), problem: Type.String() }))),
});

interface FieldProblem {
  field: string;
  problem: string;
}

/** Validates the history query; the problems, if any, name the offending fields. */
export function parseHistoryQuery(
  room: unknown,
  query: Record<string, unknown>,
): { ok: true; room: string; before?: string; limit: number } | { ok: false; details: FieldProblem[] } {
  const details: FieldProblem[] = [];
  if (!isRoomName(room)) details.push({ field: 'room', problem: 'must match [A-Za-z0-9_-]{1,64}' });
  const { before, limit } = query;
  if (before !== undefined && parseMessageId(before) === undefined) {
    details.push({ field: 'before', problem: 'must be a message id (12 digits)' });
  }
  let parsedLimit = DEFAULT_HISTORY_LIMIT;
  if (limit !== undefined) {
    parsedLimit = typeof limit === 'string' && /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (!(parsedLimit >= 1 && parsedLimit <= HISTORY_MAX_LIMIT)) {
      details.push({ field: 'limit', problem: `must be a whole number from 1 to ${HISTORY_MAX_LIMIT}` });
    }
  }
  if (details.length > 0) return { ok: false, details };
  return { ok: true, room: room as string, ...(typeof before === 'string' ? { before } : {}), limit: parsedLimit };
}

export function registerChatHttp(app: FastifyInstance, deps: ChatHttpDeps): void {
  const log = deps.log.child({ component: 'chat-http' });
  const config = { public: deps.requireAuth !== true };

  const unavailable = (reply: FastifyReply, error: unknown) => {
    if (!(error instanceof ChatError) && !(error instanceof AskTimeoutError)) {
      log.error({ err: error instanceof Error ? error : new Error(String(error)) }, 'chat HTTP request failed');
    }
    return reply.code(503).send({ error: 'Service Unavailable', message: 'chat is unavailable, try again' });
  };

  app.get(
    '/api/v1/chat/rooms',
    {
      config,
      schema: {
        tags: ['chat'],
        summary: 'Rooms with messages or members, with cluster-wide member counts',
        response: { 200: Type.Object({ rooms: Type.Array(RoomSchema) }), 503: ProblemSchema },
      },
    },
    async (_request, reply) => {
      try {
        return { rooms: await deps.chat.rooms() };
      } catch (error) {
        return unavailable(reply, error);
      }
    },
  );

  app.get(
    '/api/v1/chat/rooms/:room/messages',
    {
      config,
      schema: {
        tags: ['chat'],
        summary: 'History of a room, newest last',
        params: Type.Object({ room: Type.String() }),
        querystring: Type.Object({
          before: Type.Optional(Type.String({ description: 'only messages older than this id' })),
          limit: Type.Optional(Type.String({ description: `1..${HISTORY_MAX_LIMIT}, default ${DEFAULT_HISTORY_LIMIT}` })),
        }),
        response: {
          200: Type.Object({ room: Type.String(), messages: Type.Array(MessageSchema) }),
          400: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const params = request.params as Record<string, unknown>;
      const parsed = parseHistoryQuery(params.room, request.query as Record<string, unknown>);
      if (!parsed.ok) {
        return reply.code(400).send({ error: 'Bad Request', message: 'invalid history query', details: parsed.details });
      }
      try {
        const messages = await deps.chat.history({
          room: parsed.room,
          limit: parsed.limit,
          ...(parsed.before !== undefined ? { before: parsed.before } : {}),
        });
        return { room: parsed.room, messages };
      } catch (error) {
        if (error instanceof ChatError && error.reason.startsWith('invalid_')) {
          return reply.code(400).send({ error: 'Bad Request', message: error.message });
        }
        return unavailable(reply, error);
      }
    },
  );
}
