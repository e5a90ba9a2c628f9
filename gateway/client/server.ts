// The client server (API_PORT): the hot redirect path lives here. Lean on purpose: no
// request logging, no helmet, no schemas on the hot path, plain-text errors.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { evaluateReadiness, notReadyMessage, type Readiness } from '../shared/readiness.js';

export interface ClientServerDeps {
  readiness: Readiness;
  logger?: FastifyBaseLogger;
  /** Fastify `trustProxy`: the configured proxies only (X-Forwarded-For is forgeable). */
  trustProxy?: string[] | boolean;
  /** Adds the feature routes (the redirect route). Called after /health and /ready. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
  /** Bytes; default 64 KiB (clients send GETs). */
  bodyLimit?: number;
}

const CLIENT_ERROR_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 15\r\nConnection: close\r\n\r\nRequest invalid';

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(text);
}

export async function buildClientServer(deps: ClientServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger !== undefined ? { loggerInstance: deps.logger.child({ component: 'client-http' }) } : {}),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    trustProxy: deps.trustProxy ?? false,
    // While the node closes, a request already under way on an open connection (a proxy's
    // keep-alive) is still answered, with `Connection: close`, instead of Fastify's 503: the
    // routing view lives until the process exits (docs/operations.md, "Rolling restarts").
    return503OnClosing: false,
    // Requests the router or Node's parser reject (bad percent-encoding, unknown method) get
    // the same plain 400 as every other bad request, not Fastify's JSON.
    frameworkErrors: (_err, _request, reply) => {
      void plain(reply, 400, 'Request invalid');
    },
    clientErrorHandler: (_err, socket) => {
      if (socket.writable) socket.end(CLIENT_ERROR_RESPONSE);
      else socket.destroy();
    },
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const status = (err as { statusCode?: unknown }).statusCode;
    // The client API knows one client error (docs/routing.md): 400 `Request invalid`.
    if (typeof status === 'number' && status >= 400 && status < 500) return plain(reply, 400, 'Request invalid');
    request.log.error({ err }, 'client request failed');
    return plain(reply, 500, 'Internal Server Error');
  });
  app.setNotFoundHandler((_request: FastifyRequest, reply: FastifyReply) => plain(reply, 404, 'Not Found'));

  app.get('/health', async (_request, reply) => plain(reply, 200, 'ok'));
  app.get('/ready', async (_request, reply) => {
    const report = await evaluateReadiness(deps.readiness);
    return report.ready ? plain(reply, 200, 'ready') : plain(reply, 503, notReadyMessage(report.down));
  });

  if (deps.routes !== undefined) await deps.routes(app);
  return app;
}
