// `GET /`: the chat page. A small HTML document plus two ES modules served from memory: our
// page script and the `phoenix` client's ESM build straight from node_modules (no bundler).
// The page gets its own strict Content-Security-Policy: scripts and styles only from this
// origin, no inline code, WebSocket/fetch only back to this origin.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { CSS_TYPE, JS_TYPE, registerPage, type PageAsset } from './page-serving.js';

export interface ChatPageOptions {
  /** Shown on the page: the node the browser talks to. */
  nodeName: string;
  /** CHAT_REQUIRE_AUTH: the page asks for admin-API credentials and connects with the token. */
  requireAuth?: boolean;
}

export const CHAT_PAGE_PATH = '/';
export const ASSET_PREFIX = '/assets';

/**
 * No `upgrade-insecure-requests` (helmet's default has it): on plain http it would turn the
 * page's ws:// into wss:// and its scripts into https:// and break the page. CSP Level 3
 * `'self'` in connect-src covers ws:// and wss:// to this origin.
 */
export const CHAT_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/** The page's HTML; the only server-provided values are escaped attributes and text. */
export function renderChatPage(options: ChatPageOptions): string {
  const node = escapeHtml(options.nodeName);
  const auth = options.requireAuth === true ? 'true' : 'false';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beamstack chat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSET_PREFIX}/chat.css">
<script type="module" src="${ASSET_PREFIX}/chat.js"></script>
</head>
<body data-node="${node}" data-require-auth="${auth}">
<header>
  <h1>Beamstack chat</h1>
  <p>Connected node: <strong id="node-name">${node}</strong> · <span id="status" data-state="idle">not connected</span></p>
</header>
<form id="join-form" autocomplete="off">
  <label>Name <input id="user" name="user" maxlength="32" required></label>
  <label>Room <input id="room" name="room" maxlength="64" pattern="[A-Za-z0-9_\\-]{1,64}" value="lobby" list="room-list" required></label>
  <datalist id="room-list"></datalist>
  <span id="auth-fields" hidden>
    <label>Email <input id="email" name="email" type="email" autocomplete="username"></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
  </span>
  <button id="join" type="submit">Join</button>
  <button id="leave" type="button" disabled>Leave</button>
</form>
<p id="notice" role="status"></p>
<main>
  <section id="chat">
    <h2 id="room-title">No room</h2>
    <ol id="messages" aria-live="polite"></ol>
    <form id="send-form" autocomplete="off">
      <input id="body" name="body" maxlength="4000" placeholder="Message" disabled>
      <button id="send" type="submit" disabled>Send</button>
    </form>
  </section>
  <aside>
    <h2>Online</h2>
    <ul id="presence"></ul>
  </aside>
</main>
</body>
</html>
`;
}

/** The directory of the `phoenix` package's browser builds (its exports hide package.json). */
export function phoenixStaticDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('phoenix'));
}

function loadAssets(): Map<string, PageAsset> {
  const here = dirname(fileURLToPath(import.meta.url));
  const own = (file: string) => readFileSync(join(here, 'assets', file));
  return new Map<string, PageAsset>([
    ['chat.js', { body: own('chat.js'), type: JS_TYPE }],
    ['chat.css', { body: own('chat.css'), type: CSS_TYPE }],
    ['phoenix.mjs', { body: readFileSync(join(phoenixStaticDir(), 'phoenix.mjs')), type: JS_TYPE }],
  ]);
}

/**
 * Registers `GET /` and its assets (`/assets/chat.js`, `/assets/chat.css`, `/assets/phoenix.mjs`).
 * Reads the files once, now: a missing file fails at start, not on the first visitor.
 */
export function registerChatPage(app: FastifyInstance, options: ChatPageOptions): void {
  registerPage(app, {
    path: CHAT_PAGE_PATH,
    html: renderChatPage(options),
    csp: CHAT_PAGE_CSP,
    cacheControl: 'no-cache',
    assetPrefix: ASSET_PREFIX,
    assets: loadAssets(),
  });
}
