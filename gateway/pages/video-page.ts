// `GET /video`: the supervisors' page (docs/video.md "The /video page"). Log in (local e-mail
// or directory account), search recordings by session id / project / zone / dates, play one
// in a <video> element, copy its link. A small HTML document plus one ES module and a
// stylesheet served from memory, under the same strict CSP as the chat page, with one
// addition: media-src must reach the storage nodes, which are other origins (see VIDEO_PAGE_CSP).
import type { FastifyInstance } from 'fastify';
import { MEDIA_FROM_STORAGE_NODES, escapeHtml, ownPageAssets, pageCsp, renderPage, registerPageRoute } from './page-kit.js';

export interface VideoPageOptions {
  /** Shown on the page: the node the browser talks to. */
  nodeName: string;
  /** LDAP_URL is set: the page offers directory accounts (and picks them by default). */
  directoryLogin: boolean;
}

export const VIDEO_PAGE_PATH = '/video';

/**
 * Like the chat page's, plus media from the storage nodes (MEDIA_FROM_STORAGE_NODES, page-kit.ts):
 * zones are edited at run time, so a list of origins fixed when the page is served would go
 * stale, and building it per request would put the zone table on the page's hot path.
 */
export const VIDEO_PAGE_CSP = pageCsp(MEDIA_FROM_STORAGE_NODES);

/** The page's HTML; the only server-provided values are escaped attributes and text. */
export function renderVideoPage(options: VideoPageOptions): string {
  const node = escapeHtml(options.nodeName);
  return renderPage({
    title: 'Beamstack recordings',
    assetName: 'video',
    data: { node: options.nodeName, 'directory-login': options.directoryLogin ? 'true' : 'false' },
    body: `<header>
  <h1>Call recordings</h1>
  <p>Node: <strong id="node-name">${node}</strong> · <span id="who" data-state="out">not logged in</span>
  <button id="logout" type="button" hidden>Log out</button></p>
</header>
<form id="login-form" autocomplete="on">
  <label id="kind-field" hidden>Account
    <select id="account-kind">
      <option value="directory">Directory account</option>
      <option value="local">Local account (e-mail)</option>
    </select>
  </label>
  <label><span id="account-label">E-mail</span> <input id="account" name="account" autocomplete="username" maxlength="256" required></label>
  <label>Password <input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required></label>
  <button id="login" type="submit">Log in</button>
</form>
<form id="search-form" autocomplete="off" hidden>
  <label>Session id <input id="session-id" name="sessionId" maxlength="128"></label>
  <label>Project <input id="project-id" name="projectId" maxlength="128"></label>
  <label>Zone <select id="zone"><option value="">any</option></select></label>
  <label>From <input id="from" name="from" type="date"></label>
  <label>To <input id="to" name="to" type="date"></label>
  <button id="search" type="submit">Search</button>
</form>
<p id="notice" role="status"></p>
<main id="results-area" hidden>
  <section id="results">
    <h2 id="result-count">No search yet</h2>
    <table>
      <thead><tr><th>Recorded</th><th>Session</th><th>Project</th><th>Zone</th><th>File</th><th>Size</th><th>State</th><th></th></tr></thead>
      <tbody id="result-rows"></tbody>
    </table>
    <p class="pager"><button id="prev" type="button" disabled>Previous</button> <button id="next" type="button" disabled>Next</button></p>
  </section>
  <section id="player-area" hidden>
    <h2 id="now-playing"></h2>
    <video id="player" controls preload="metadata"></video>
    <p class="link-line">Link, valid until <span id="link-expiry"></span>:</p>
    <input id="link" readonly aria-label="Playback link">
  </section>
</main>
`,
  });
}

/** Registers `GET /video` and its assets; reads the files now (a missing one fails at start). */
export function registerVideoPage(app: FastifyInstance, options: VideoPageOptions): void {
  registerPageRoute(app, {
    path: VIDEO_PAGE_PATH,
    html: renderVideoPage(options),
    csp: VIDEO_PAGE_CSP,
    cacheControl: 'no-store',
    assets: ownPageAssets('video'),
  });
}
