// What every browser page of the admin/app port shares: the strict Content-Security-Policy,
// HTML escaping, the document head, the common stylesheet and serving a page with its assets
// from memory (docs/api.md "Pages").
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const ASSET_PREFIX = '/assets';

/**
 * Scripts, styles and fetch/WebSocket only from this origin, no inline code. No
 * `upgrade-insecure-requests` (helmet's default has it): on plain http it would turn a page's
 * ws:// into wss:// and its scripts into https:// and break the page. CSP Level 3 `'self'` in
 * connect-src covers ws:// and wss:// to this origin. `extra` directives go before the
 * navigation ones (e.g. the video page's media-src).
 */
/**
 * For pages that play recordings: media also from the zones' storage nodes, which are other
 * origins (`http://{publicAddress}:{publicPort}/video/files/…`) and change at run time, so no
 * fixed origin list. Safe: media cannot run code, scripts stay 'self' and fetch/XHR
 * (connect-src) stays on this origin, so a token is never sent elsewhere.
 */
export const MEDIA_FROM_STORAGE_NODES = "media-src 'self' http: https:";

export function pageCsp(...extra: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    ...extra,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

export interface PageDocument {
  title: string;
  /** `<name>.js` and `<name>.css` under /assets are the page's module and stylesheet. */
  assetName: string;
  /** `data-*` attributes of <body> (escaped here), read by the page script. */
  data: Record<string, string>;
  /** The markup inside <body>; server values in it must already be escaped. */
  body: string;
  /** Where the page's module and stylesheet are served (default ASSET_PREFIX). */
  assetPrefix?: string;
  /** Whether the page builds on the shared page.css (default true; the console has its own). */
  sharedStylesheet?: boolean;
}

/** A whole HTML document: the shared stylesheet, then the page's own stylesheet and module. */
export function renderPage(page: PageDocument): string {
  const prefix = page.assetPrefix ?? ASSET_PREFIX;
  const shared = page.sharedStylesheet === false ? '' : `<link rel="stylesheet" href="${ASSET_PREFIX}/${SHARED_STYLESHEET}">\n`;
  const data = Object.entries(page.data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<link rel="icon" href="data:,">
${shared}<link rel="stylesheet" href="${prefix}/${page.assetName}.css">
<script type="module" src="${prefix}/${page.assetName}.js"></script>
</head>
<body${data}>
${page.body}</body>
</html>
`;
}

export interface PageAsset {
  body: string | Buffer;
  type: string;
}

export const JS_TYPE = 'text/javascript; charset=utf-8';
export const CSS_TYPE = 'text/css; charset=utf-8';

const SHARED_STYLESHEET = 'page.css';
const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'assets');

/** `<name>.js` and `<name>.css` from `gateway/pages/assets/`, read now (a missing file fails at start). */
export function ownPageAssets(pageAssetName: string): Map<string, PageAsset> {
  return new Map([
    [`${pageAssetName}.js`, { body: readFileSync(join(ASSETS_DIR, `${pageAssetName}.js`)), type: JS_TYPE }],
    [`${pageAssetName}.css`, { body: readFileSync(join(ASSETS_DIR, `${pageAssetName}.css`)), type: CSS_TYPE }],
  ]);
}

export function javascriptAsset(path: string): PageAsset {
  return { body: readFileSync(path), type: JS_TYPE };
}

export interface PageRoute {
  path: string;
  html: string;
  csp: string;
  /** `no-cache` for a page that may be cached and revalidated, `no-store` for one that must not. */
  cacheControl: 'no-cache' | 'no-store';
  assets: ReadonlyMap<string, PageAsset>;
  /** Where the assets are served (default ASSET_PREFIX). */
  assetPrefix?: string;
  /** Of the assets (default: public, max-age=300). */
  assetCacheControl?: string;
}

/** Registers the page, its assets and (once per app, whichever page comes first) the shared stylesheet. */
export function registerPageRoute(app: FastifyInstance, page: PageRoute): void {
  app.get(page.path, { schema: { hide: true } }, async (_request, reply: FastifyReply) =>
    reply
      .header('content-security-policy', page.csp)
      .header('cache-control', page.cacheControl)
      .type('text/html; charset=utf-8')
      .send(page.html),
  );
  const prefix = page.assetPrefix ?? ASSET_PREFIX;
  const assetCacheControl = page.assetCacheControl ?? 'public, max-age=300';
  for (const [file, asset] of page.assets) serveAsset(app, `${prefix}/${file}`, asset, assetCacheControl);
  if (!app.hasRoute({ method: 'GET', url: `${ASSET_PREFIX}/${SHARED_STYLESHEET}` })) {
    const stylesheet = { body: readFileSync(join(ASSETS_DIR, SHARED_STYLESHEET)), type: CSS_TYPE };
    serveAsset(app, `${ASSET_PREFIX}/${SHARED_STYLESHEET}`, stylesheet, 'public, max-age=300');
  }
}

function serveAsset(app: FastifyInstance, url: string, asset: PageAsset, cacheControl: string): void {
  app.get(url, { schema: { hide: true } }, async (_request, reply: FastifyReply) =>
    reply.header('cache-control', cacheControl).type(asset.type).send(asset.body),
  );
}
