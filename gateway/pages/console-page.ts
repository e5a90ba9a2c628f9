// `GET /admin`: the operator console (docs/console.md). One HTML shell plus plain ES modules
// and a stylesheet served from memory — nothing to build. Every page of the console is drawn
// by the modules from the admin API's answers (textContent only), under a CSP without any
// inline script or style. The bearer token lives in the modules' memory only.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import {
  ASSET_PREFIX,
  CSS_TYPE,
  JS_TYPE,
  MEDIA_FROM_STORAGE_NODES,
  escapeHtml,
  pageCsp,
  registerPageRoute,
  renderPage,
  type PageAsset,
} from './page-kit.js';

export interface ConsolePageOptions {
  /** Shown in the header: the node the browser talks to. */
  nodeName: string;
}

export const CONSOLE_PAGE_PATH = '/admin';
export const CONSOLE_ASSET_PREFIX = `${ASSET_PREFIX}/console`;
/**
 * The pages' policy: scripts, styles and fetches from this origin only; media (the video
 * page's playback) also from the storage nodes, which are other origins — as on /video
 * (video-page.ts): media cannot run code.
 */
export const CONSOLE_PAGE_CSP = pageCsp(MEDIA_FROM_STORAGE_NODES);

export function renderConsolePage(options: ConsolePageOptions): string {
  const node = escapeHtml(options.nodeName);
  return renderPage({
    title: 'Beamstack console',
    assetName: 'console',
    assetPrefix: CONSOLE_ASSET_PREFIX,
    sharedStylesheet: false,
    data: { node: options.nodeName },
    body: `<a class="skip" href="#main">Skip to content</a>
<header>
  <p class="brand">Beamstack console · node <strong>${node}</strong></p>
  <p id="who" hidden></p>
  <button id="logout" type="button" hidden>Log out</button>
</header>
<nav id="nav" aria-label="Console pages" hidden></nav>
<main id="main" tabindex="-1">
  <p id="notice" role="status"></p>
  <form id="login-form" autocomplete="on">
    <h1>Log in</h1>
    <p><label for="login-email">E-mail</label> <input id="login-email" name="email" type="email" autocomplete="username" maxlength="256" required></p>
    <p><label for="login-password">Password</label> <input id="login-password" name="password" type="password" autocomplete="current-password" maxlength="1024" required></p>
    <p><button id="login" type="submit">Log in</button></p>
  </form>
  <div id="page" hidden></div>
</main>
`,
  });
}

function loadAssets(): Map<string, PageAsset> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'assets', 'console');
  const assets = new Map<string, PageAsset>();
  for (const file of readdirSync(dir)) {
    assets.set(file, { body: readFileSync(join(dir, file)), type: file.endsWith('.css') ? CSS_TYPE : JS_TYPE });
  }
  return assets;
}

/** Registers `GET /admin` and its modules; reads the files now (a missing folder fails at start). */
export function registerConsolePage(app: FastifyInstance, options: ConsolePageOptions): void {
  registerPageRoute(app, {
    path: CONSOLE_PAGE_PATH,
    html: renderConsolePage(options),
    csp: CONSOLE_PAGE_CSP,
    cacheControl: 'no-store',
    assetPrefix: CONSOLE_ASSET_PREFIX,
    assets: loadAssets(),
    // The modules change with the code and import each other: revalidate, never mix versions.
    assetCacheControl: 'no-cache',
  });
}
