// The operator console (docs/console.md): login, then one page at a time chosen by the URL
// hash (#/overview, #/domain/subnets, #/observer/node-b …). Pages come from entities.js
// (the domain model) and pages.js; MANAGER sees no ADMIN-only page or button — and the API
// refuses those actions anyway.
import { api, currentUser, endSession, login, onSessionChange } from './api.js';
import { el } from './dom.js';
import { renderDomain } from './entities.js';
import { renderEpg } from './epg.js';
import { renderChat, renderCluster, renderExplain, renderObserver, renderOverview, renderUsers } from './pages.js';
import { renderVideo } from './video.js';

/** @type {Array<{ id: string, label: string, render: Function, adminOnly?: boolean }>} */
const PAGES = [
  { id: 'overview', label: 'Overview', render: renderOverview },
  { id: 'domain', label: 'Domain model', render: renderDomain },
  { id: 'explain', label: 'Routing explain', render: renderExplain },
  { id: 'epg', label: 'EPG and recordings', render: renderEpg },
  { id: 'cluster', label: 'Cluster', render: renderCluster },
  { id: 'observer', label: 'Observer', render: renderObserver },
  { id: 'chat', label: 'Chat', render: renderChat },
  { id: 'video', label: 'Video', render: renderVideo },
  { id: 'users', label: 'Users', render: renderUsers, adminOnly: true },
];

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  loginForm: /** @type {HTMLFormElement} */ ($('login-form')),
  email: /** @type {HTMLInputElement} */ ($('login-email')),
  password: /** @type {HTMLInputElement} */ ($('login-password')),
  who: $('who'),
  logout: $('logout'),
  nav: $('nav'),
  page: $('page'),
  notice: $('notice'),
  main: $('main'),
};

/** Stops the current page's live stream, if any. */
let leavePage = () => {};

function notify(message, kind = 'info') {
  ui.notice.textContent = message;
  ui.notice.dataset.kind = kind;
}

function visiblePages() {
  const admin = currentUser()?.role === 'ADMIN';
  return PAGES.filter((page) => admin || page.adminOnly !== true);
}

async function show() {
  leavePage();
  leavePage = () => {};
  if (currentUser() === null) return;
  const [id = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = visiblePages().find((p) => p.id === id) ?? visiblePages()[0];
  for (const link of ui.nav.querySelectorAll('a')) {
    if (link.dataset.page === page.id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${page.label} · Beamstack console`;
  const root = el('div', { class: `page page-${page.id}` });
  ui.page.replaceChildren(root);
  try {
    const leave = await page.render(root, params);
    if (typeof leave === 'function') leavePage = leave;
  } catch (error) {
    root.append(el('p', { class: 'status', 'data-kind': 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
  }
}

onSessionChange((user, message) => {
  const inside = user !== null;
  ui.loginForm.hidden = inside;
  ui.page.hidden = !inside;
  ui.nav.hidden = !inside;
  ui.logout.hidden = !inside;
  ui.who.hidden = !inside;
  if (inside) {
    ui.who.textContent = `${user.name ?? user.email} (${user.role})`;
    ui.nav.replaceChildren(
      el('ul', {}, ...visiblePages().map((p) => el('li', {}, el('a', { href: `#/${p.id}`, 'data-page': p.id }, p.label)))),
    );
    notify(message);
    void show();
  } else {
    leavePage();
    leavePage = () => {};
    ui.page.replaceChildren();
    ui.nav.replaceChildren();
    notify(message, message.includes('expired') ? 'error' : 'info');
    ui.email.focus();
  }
});

ui.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  notify('');
  try {
    await login(ui.email.value.trim(), ui.password.value);
    ui.password.value = '';
    ui.main.focus();
  } catch (error) {
    notify(error instanceof Error ? error.message : String(error), 'error');
    ui.password.focus();
  }
});

ui.logout.addEventListener('click', async () => {
  // Best effort: a server that revokes sessions forgets the token (DELETE /api/v1/sessions).
  await api('DELETE', '/api/v1/sessions').catch(() => undefined);
  endSession('You are logged out.');
});

document.addEventListener('console-notice', (event) => notify(/** @type {CustomEvent} */ (event).detail));
window.addEventListener('hashchange', () => void show());
ui.email.focus();
