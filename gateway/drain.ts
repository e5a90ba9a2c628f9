// The drain period of a shutdown (docs/operations.md, "Rolling restarts"): the node already
// reports not ready; for `ms` it still answers every request, but each answer carries
// `Connection: close`, so proxies (nginx's upstream keepalive pool) and clients drop their
// connections to it and open the next ones to another node. Nothing is added to the request
// path before the drain starts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';

function closeAfterResponse(_request: IncomingMessage, response: ServerResponse): void {
  // Node ends the connection after a response whose Connection header says close.
  response.setHeader('connection', 'close');
}

export async function drainConnections(servers: FastifyInstance[], ms: number): Promise<void> {
  if (ms <= 0) return;
  for (const app of servers) {
    // Before Fastify's own listener, so the header is set before any route answers.
    app.server.prependListener('request', closeAfterResponse);
    // Idle keep-alive connections would otherwise stay in the proxy's pool until the close.
    app.server.closeIdleConnections();
  }
  await sleep(ms);
}
