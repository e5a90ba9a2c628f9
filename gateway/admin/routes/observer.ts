// The Observer over HTTP (docs/console.md, docs/api.md): each node's supervision tree, the
// singletons, the cluster-store maps, an ADMIN's stop of one actor, and the server-sent
// event streams the console's live pages follow (tree, overview, a rejoin job).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { RejoinService } from '../../../actors/cluster/rejoin-coordinator.js';
import type { ObserverService } from '../../../actors/observer/index.js';
import { BadRequestError } from '../../shared/errors.js';
import { SnapshotStreams } from '../sse.js';
import { errorResponses, IdParamsSchema } from '../schemas.js';
import type { ClusterInfo } from './cluster.js';
import type { RoomSummary } from '../../../actors/chat/index.js';
import { chatRatesProducer } from './observer-chat.js';
import { overviewProducer, type OverviewSummary } from './observer-overview.js';

export interface ObserverRoutesOptions {
  observer: ObserverService;
  clusterInfo: ClusterInfo;
  rejoin: Pick<RejoinService, 'job'>;
  /** The cluster-wide part of the overview (edge health, chat, video zones). */
  overviewSummary?: () => Promise<OverviewSummary>;
  /** The chat rooms (the chat page's stream). */
  chatRooms?: () => Promise<RoomSummary[]>;
  /** Between snapshots of a live stream (default 1000 ms; never under 250). */
  streamIntervalMs?: number;
}

const READ_ROLES = ['ADMIN', 'MANAGER'] as const;
const NodeParams = Type.Object({ node: Type.String({ minLength: 1, maxLength: 128, description: 'node name' }) });
type NodeParamsT = { node: string };

const ActorSchema = Type.Object({
  path: Type.String({ description: 'e.g. /node/routing/routing-view' }),
  name: Type.String(),
  kind: Type.Union([Type.Literal('supervisor'), Type.Literal('worker')], { description: 'supervisor while it has running children' }),
  depth: Type.Integer({ description: '0 for a top-level actor; the list is depth-first, parents first' }),
  children: Type.Integer({ description: 'running children' }),
  state: Type.Union([Type.Literal('starting'), Type.Literal('running')]),
  restarts: Type.Integer({ description: 'restarts since its supervisor spawned it' }),
  lastRestartReason: Type.Optional(Type.String()),
  lastRestartAt: Type.Optional(Type.String({ description: 'ISO-8601 UTC' })),
  mailbox: Type.Integer({ description: 'messages waiting' }),
  messagesPerSecond: Type.Integer({ description: 'messages handled during the last whole second' }),
});

export const NodeTreeSchema = Type.Object({
  node: Type.String(),
  at: Type.String({ description: 'ISO-8601 UTC, when the node took the snapshot' }),
  actors: Type.Array(ActorSchema),
});

const SingletonSchema = Type.Object({
  name: Type.String({ description: 'lease name, e.g. singleton.healthcheck' }),
  holder: Type.String({ description: 'the node running it' }),
  expiresAt: Type.String(),
});

const MapsSchema = Type.Object({
  generation: Type.Optional(Type.Integer({ description: 'the domain-model generation every node serves' })),
  switchedAt: Type.Optional(Type.String()),
  maps: Type.Array(
    Type.Object({
      name: Type.String(),
      entries: Type.Integer(),
      generation: Type.Optional(Type.Integer()),
    }),
  ),
});

const StopBody = Type.Object(
  { path: Type.String({ minLength: 2, maxLength: 512, pattern: '^/', description: 'the actor path, from the tree' }) },
  { additionalProperties: false },
);

const streamDoc = (summary: string, description: string): Record<string, unknown> => ({
  tags: ['observer'],
  summary,
  description: `${description} A text/event-stream: a \`snapshot\` event (JSON data) whenever the value changed, checked once a second; \`unavailable\` (JSON { message }) while it cannot be read.`,
  produces: ['text/event-stream'],
});

export const observerRoutes: FastifyPluginAsync<ObserverRoutesOptions> = async (app, options) => {
  const { observer, clusterInfo, rejoin } = options;
  const interval = options.streamIntervalMs ?? 1_000;
  const streams = new SnapshotStreams(app);

  app.get<{ Params: NodeParamsT }>(
    '/api/v1/observer/nodes/:node/tree',
    {
      config: { roles: READ_ROLES },
      schema: {
        tags: ['observer'],
        summary: "A node's live supervision tree (ADMIN, MANAGER)",
        description: 'Asked of that node through the cluster store, so any node answers for every live node.',
        params: NodeParams,
        response: { 200: NodeTreeSchema, ...errorResponses(404, 503) },
      },
    },
    async (request) => observer.tree(request.params.node),
  );

  app.get<{ Params: NodeParamsT }>(
    '/api/v1/observer/nodes/:node/tree/events',
    {
      config: { roles: READ_ROLES },
      schema: { ...streamDoc("A node's tree, live (ADMIN, MANAGER)", 'The tree of GET …/tree.'), params: NodeParams },
    },
    async (request, reply) => streams.open(reply, interval, () => observer.tree(request.params.node)),
  );

  app.post<{ Params: NodeParamsT; Body: { path: string } }>(
    '/api/v1/observer/nodes/:node/actors/stop',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['observer'],
        summary: 'Stop an actor so its supervisor restarts it (ADMIN)',
        description:
          'The actor crashes with the reason "stopped by <email> from the console"; its supervision restarts it with fresh state ' +
          '(past its restart limit the crash escalates, as any crash). Top-level actors are refused: stop the node instead.',
        params: NodeParams,
        body: StopBody,
        response: {
          202: Type.Object({ node: Type.String(), path: Type.String(), reason: Type.String() }),
          ...errorResponses(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const who = request.user?.email ?? 'an operator';
      if (request.body.path.includes('//')) throw new BadRequestError('body.path must not contain an empty segment');
      const stopped = await observer.stop(request.params.node, request.body.path, `stopped by ${who} from the console`);
      return reply.code(202).send(stopped);
    },
  );

  app.get(
    '/api/v1/observer/singletons',
    {
      config: { roles: READ_ROLES },
      schema: {
        tags: ['observer'],
        summary: 'Cluster singletons and the node holding each (ADMIN, MANAGER)',
        response: { 200: Type.Object({ singletons: Type.Array(SingletonSchema) }), ...errorResponses(503) },
      },
    },
    async () => ({ singletons: await observer.singletons() }),
  );

  app.get(
    '/api/v1/observer/maps',
    {
      config: { roles: READ_ROLES },
      schema: {
        tags: ['observer'],
        summary: 'Cluster-store maps with entry counts and generation (ADMIN, MANAGER)',
        response: { 200: MapsSchema, ...errorResponses(503) },
      },
    },
    async () => observer.maps(),
  );

  app.get(
    '/api/v1/observer/overview/events',
    {
      config: { roles: READ_ROLES },
      schema: streamDoc(
        'Nodes, their figures, maps and the cluster summary, live (ADMIN, MANAGER)',
        'Data: { nodes (as GET /api/v1/cluster/nodes, each with `stats`: ready, down (failing checks), redirects, ' +
          'redirectErrors (answers other than 302), redirectsPerSecond, errorsPerSecond (from two readings), transitions ' +
          '(recent edge availability changes), videoDisk { zone, usedBytes, totalBytes } on a storage node — or `statsError`), ' +
          'maps (as GET /api/v1/observer/maps), summary { edges { up, down, inactive }, chat { rooms, members, connections }, ' +
          'video { zones } } }.',
      ),
    },
    async (_request, reply) => streams.open(reply, interval, overviewProducer(observer, clusterInfo, options.overviewSummary)),
  );

  const { chatRooms } = options;
  if (chatRooms !== undefined) {
    app.get(
      '/api/v1/observer/chat/events',
      {
        config: { roles: READ_ROLES },
        schema: streamDoc(
          'Chat rooms with their message rates, live (ADMIN, MANAGER)',
          'Data: { rooms: [{ name, members, connections, lastMessageId, messagesPerMinute }] }: the rooms as GET /api/v1/chat/rooms, ' +
            "with each room's messages per minute over this stream's readings of the last minute (absent on the first event).",
        ),
      },
      async (_request, reply) => streams.open(reply, interval, chatRatesProducer(chatRooms)),
    );
  }

  app.get<{ Params: { id: string } }>(
    '/api/v1/observer/jobs/:id/events',
    {
      config: { roles: READ_ROLES },
      schema: {
        ...streamDoc('A cluster job (rejoin), live (ADMIN, MANAGER)', 'Data: the job as GET /api/v1/cluster/jobs/{id}.'),
        params: IdParamsSchema,
      },
    },
    async (request, reply) => streams.open(reply, interval, () => rejoin.job(request.params.id)),
  );
};
