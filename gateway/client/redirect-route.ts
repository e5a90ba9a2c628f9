// The client redirect API (docs/routing.md) on the client port: GET and HEAD on every
// path, answered from the node's routing view (no I/O, no actor round trip).
//
// The answer is written raw: Fastify lower-cases header names, and some Samsung TVs ignore a
// lower-case `location`, so the head goes out through writeHead with `Location` as written.
// HEAD gets the same head without a body. Nothing is logged for a 302; misses are logged at
// a sampled rate with their reason.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../domain/log.js';
import { compileTrustedProxies, type TrustedProxies } from '../../actors/routing/client-ip.js';
import { BAD_REQUEST_BODY, NOT_FOUND_BODY, decide } from '../../actors/routing/decide.js';
import type { RoutingViewHolder } from '../../actors/routing/view-holder.js';
import { startLoadShedder, type LoadShedder, type LoadShedderOptions } from './load-shedder.js';
import type { RedirectKind, RedirectMetrics } from './redirect-metrics.js';
import { sanitizeUrl } from '../shared/logging.js';
import { sampledLog } from './sampled-log.js';

export const CACHE_CONTROL = 'max-age=0, private, must-revalidate';
const OVERLOADED_BODY = 'Service Unavailable';
const NOT_READY_BODY = 'Service Unavailable: the routing view is not loaded yet';
const MAX_LOGGED_PATH = 200;

export interface RedirectRouteDeps {
  view: RoutingViewHolder;
  /** TRUSTED_PROXIES: X-Real-IP is believed only from these peers. */
  trustedProxies: readonly string[];
  log: Logger;
  metrics?: RedirectMetrics;
  /** Misses (400/404) logged per second at most. Default 20. */
  missLogPerSecond?: number;
  /** A shedder to use (tests), or options for the default one. */
  shedder?: LoadShedder;
  shedding?: LoadShedderOptions;
}

function textHead(status: number, body: string, extra: string[] = []): { status: number; head: string[]; body: string } {
  return {
    status,
    head: [
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Cache-Control',
      'no-store',
      ...extra,
    ],
    body,
  };
}

/** The catch-all redirect route as a plugin; its load shedder stops when the server closes. */
export const redirectRoute: FastifyPluginAsync<RedirectRouteDeps> = async (app, deps) => {
  const trusted: TrustedProxies = compileTrustedProxies(deps.trustedProxies);
  const shedder = deps.shedder ?? startLoadShedder(deps.shedding);
  const misses = sampledLog(deps.log, deps.missLogPerSecond ?? 20);
  const metrics = deps.metrics;
  const options = { trustedProxies: trusted };
  const notFound = textHead(404, NOT_FOUND_BODY);
  const badRequest = textHead(400, BAD_REQUEST_BODY);
  const overloaded = textHead(503, OVERLOADED_BODY, ['Retry-After', String(shedder.retryAfterSeconds)]);
  const notReady = textHead(503, NOT_READY_BODY, ['Retry-After', '1']);

  function send(reply: FastifyReply, head: boolean, answer: { status: number; head: string[]; body: string }): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(answer.status, answer.head);
    res.end(head ? undefined : answer.body);
  }

  function handler(request: FastifyRequest, reply: FastifyReply): void {
    const started = metrics ? performance.now() : 0;
    const raw = request.raw;
    const isHead = raw.method === 'HEAD';
    if (shedder.overloaded) {
      shedder.countShed();
      metrics?.shed();
      send(reply, isHead, overloaded);
      metrics?.observe('unknown', '503', (performance.now() - started) / 1000);
      return;
    }
    if (!deps.view.loaded) {
      send(reply, isHead, notReady);
      metrics?.observe('unknown', '503', (performance.now() - started) / 1000);
      return;
    }
    const path = raw.url ?? '';
    const decision = decide(
      deps.view.current(),
      { path, peerIp: raw.socket.remoteAddress, realIpHeader: raw.headers['x-real-ip'], method: raw.method },
      options,
    );
    const kind: RedirectKind = decision.kind ?? 'unknown';
    if (decision.status === 302) {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(302, ['Location', decision.location, 'Cache-Control', CACHE_CONTROL, 'Content-Length', '0']);
      res.end();
    } else {
      send(reply, isHead, decision.status === 404 ? notFound : badRequest);
      misses.line(
        {
          status: decision.status,
          reason: decision.reason,
          method: raw.method,
          path: sanitizeUrl(path, MAX_LOGGED_PATH),
          peer: raw.socket.remoteAddress,
        },
        'redirect miss',
      );
    }
    metrics?.observe(kind, decision.status === 302 ? '302' : decision.status === 404 ? '404' : '400', (performance.now() - started) / 1000);
  }

  // Every method Fastify knows goes to the one handler (anything but GET/HEAD is a 400).
  app.route({ method: app.supportedMethods, url: '/*', handler });
  // A shedder given by the caller is the caller's to stop.
  if (deps.shedder === undefined) app.addHook('onClose', async () => shedder.stop());
  app.addHook('onListen', async () => shedder.startFresh());
};
