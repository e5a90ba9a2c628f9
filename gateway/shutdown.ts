// Graceful shutdown of a node's HTTP side: drain (keep serving with `Connection: close`),
// stop accepting, close WebSockets with 1001 (going away), let in-flight requests finish,
// all within a hard deadline (the drain plus 10 s by default).
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../domain/log.js';
import { errorText } from '../domain/errors.js';
import { drainConnections } from './drain.js';

const IDLE_SWEEP_MS = 50;

/** WebSocket close code "going away" (RFC 6455). */
export const GOING_AWAY = 1001;

export interface ClosableSocket {
  close(code?: number, reason?: string): void;
  terminate?(): void;
}

export interface ShutdownOptions {
  servers: FastifyInstance[];
  /** Extra sockets to close (those of @fastify/websocket servers are found automatically). */
  sockets?: () => Iterable<ClosableSocket>;
  /** Runs first, e.g. mark not ready, hand singletons over. */
  before?: () => Promise<void>;
  /** Runs after the servers closed, e.g. leave the cluster, disconnect MongoDB. */
  after?: () => Promise<void>;
  /** SHUTDOWN_DRAIN_MS: serve this long with `Connection: close` before closing (after `before`). Default 0. */
  drainMs?: number;
  /** Budget after the drain. Default 10 000 ms. */
  deadlineMs?: number;
  log: Logger;
}

export interface ShutdownResult {
  /** False when the deadline forced connections closed. */
  clean: boolean;
  elapsedMs: number;
}

function websocketClients(app: FastifyInstance): Iterable<ClosableSocket> {
  if (!app.hasDecorator('websocketServer')) return [];
  const server = (app as unknown as { websocketServer?: { clients?: Set<ClosableSocket> } }).websocketServer;
  return server?.clients ?? [];
}

function closeSockets(sockets: Iterable<ClosableSocket>, log: Logger): number {
  let count = 0;
  for (const socket of sockets) {
    try {
      socket.close(GOING_AWAY, 'server shutting down');
      count += 1;
    } catch (err) {
      log.warn({ err: { message: errorText(err) } }, 'closing a websocket failed');
    }
  }
  return count;
}

async function step(name: string, log: Logger, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    log.error({ step: name, err: { message: errorText(err) } }, 'shutdown step failed');
  }
}

/**
 * Shuts the servers down. Never throws; resolves when done or at the deadline (then it
 * destroys the remaining connections and sockets). The caller exits the process afterwards.
 */
export async function gracefulShutdown(options: ShutdownOptions): Promise<ShutdownResult> {
  const { servers, log } = options;
  const drainMs = options.drainMs ?? 0;
  const deadlineMs = drainMs + (options.deadlineMs ?? 10_000);
  const started = Date.now();

  const work = async (): Promise<void> => {
    if (options.before) await step('before', log, options.before);
    // WebSockets first: their clients reconnect to another node at once, not after the drain.
    let closed = 0;
    for (const app of servers) closed += closeSockets(websocketClients(app), log);
    if (options.sockets) closed += closeSockets(options.sockets(), log);
    if (closed > 0) log.info({ sockets: closed }, 'closed websockets (going away)');
    if (drainMs > 0) log.info({ drainMs }, 'draining: serving with Connection: close before closing');
    await drainConnections(servers, drainMs);
    // fastify.close: stops listening, answers new requests on open connections with 503,
    // waits for in-flight requests. Keep-alive connections whose request finishes after the
    // close began stay open (until the client's idle timeout): sweep them as they go idle.
    const sweep = setInterval(() => {
      for (const app of servers) app.server.closeIdleConnections();
    }, IDLE_SWEEP_MS);
    sweep.unref();
    try {
      await Promise.all(servers.map((app) => step('close server', log, () => app.close())));
    } finally {
      clearInterval(sweep);
    }
    if (options.after) await step('after', log, options.after);
  };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  const outcome = await Promise.race([work().then(() => 'done' as const), deadline]);
  clearTimeout(timer);

  if (outcome === 'deadline') {
    log.warn({ deadlineMs }, 'shutdown deadline reached: dropping remaining connections');
    for (const app of servers) {
      for (const socket of websocketClients(app)) socket.terminate?.();
      app.server.closeAllConnections();
    }
    return { clean: false, elapsedMs: Date.now() - started };
  }
  return { clean: true, elapsedMs: Date.now() - started };
}
