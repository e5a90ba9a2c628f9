// Serving one page of the admin port: its HTML under its own CSP, and its scripts and styles
// read once at start (a missing file fails the start, not the first visitor) and served from
// memory. Shared by the chat, video and console pages.
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface PageAsset {
  body: Buffer;
  type: string;
}

export const JS_TYPE = 'text/javascript; charset=utf-8';
export const CSS_TYPE = 'text/css; charset=utf-8';

export interface PageServing {
  path: string;
  html: string;
  csp: string;
  /** Of the HTML. */
  cacheControl: string;
  /** URL prefix of the assets, e.g. /assets. */
  assetPrefix: string;
  assets: ReadonlyMap<string, PageAsset>;
  /** Of the assets (default: public, max-age=300). */
  assetCacheControl?: string;
}

export function registerPage(app: FastifyInstance, page: PageServing): void {
  const assetCacheControl = page.assetCacheControl ?? 'public, max-age=300';
  app.get(page.path, { schema: { hide: true } }, async (_request, reply: FastifyReply) =>
    reply
      .header('content-security-policy', page.csp)
      .header('cache-control', page.cacheControl)
      .type('text/html; charset=utf-8')
      .send(page.html),
  );
  for (const [file, asset] of page.assets) {
    app.get(`${page.assetPrefix}/${file}`, { schema: { hide: true } }, async (_request, reply: FastifyReply) =>
      reply.header('cache-control', assetCacheControl).type(asset.type).send(asset.body),
    );
  }
}
