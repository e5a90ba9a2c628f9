// The /video page's script (an ES module, served as is). The bearer token lives only in this
// module's memory: a reload logs out, and nothing of it is written to the browser's storage.
// Everything from the server is put on the page with textContent only.
const PAGE_SIZE = 25;

const $ = (id) => document.getElementById(id);
const ui = {
  loginForm: $('login-form'),
  kindField: $('kind-field'),
  kind: $('account-kind'),
  accountLabel: $('account-label'),
  account: $('account'),
  password: $('password'),
  who: $('who'),
  logout: $('logout'),
  searchForm: $('search-form'),
  sessionId: $('session-id'),
  projectId: $('project-id'),
  zone: $('zone'),
  from: $('from'),
  to: $('to'),
  notice: $('notice'),
  resultsArea: $('results-area'),
  resultCount: $('result-count'),
  rows: $('result-rows'),
  prev: $('prev'),
  next: $('next'),
  playerArea: $('player-area'),
  nowPlaying: $('now-playing'),
  player: $('player'),
  link: $('link'),
  linkExpiry: $('link-expiry'),
};

const directoryLogin = document.body.dataset.directoryLogin === 'true';

/** { token, user } while logged in. */
let session = null;
/** The query of the last search and its offset (for the pager). */
let lastQuery = null;

function notify(text, kind = 'error') {
  ui.notice.dataset.kind = kind;
  ui.notice.textContent = text;
}

function accountKind() {
  return directoryLogin ? ui.kind.value : 'local';
}

function showAccountKind() {
  ui.kindField.hidden = !directoryLogin;
  ui.accountLabel.textContent = accountKind() === 'directory' ? 'User name' : 'E-mail';
  ui.account.type = accountKind() === 'directory' ? 'text' : 'email';
}

async function api(path, options = {}) {
  const headers = { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) };
  if (session !== null) headers.authorization = `Bearer ${session.token}`;
  const answer = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  let body = {};
  try {
    body = await answer.json();
  } catch {
    // Not JSON: the status says enough.
  }
  if (answer.status === 401 && session !== null) {
    setSession(null);
    throw new Error('Your session has ended; log in again.');
  }
  if (!answer.ok) throw new Error(body.message || `the server answered ${answer.status}`);
  return body;
}

function setSession(next) {
  session = next;
  const loggedIn = session !== null;
  ui.loginForm.hidden = loggedIn;
  ui.searchForm.hidden = !loggedIn;
  ui.logout.hidden = !loggedIn;
  ui.who.dataset.state = loggedIn ? 'in' : 'out';
  ui.who.textContent = loggedIn ? `${session.user.name ?? session.user.email} (${session.user.role})` : 'not logged in';
  if (!loggedIn) {
    ui.resultsArea.hidden = true;
    stopPlayer();
    ui.rows.replaceChildren();
    lastQuery = null;
  }
}

async function loadZones() {
  try {
    const zones = await api('/api/v1/video/zones');
    const items = Array.isArray(zones) ? zones : (zones.items ?? []);
    const options = [new Option('any', '')];
    for (const zone of items) options.push(new Option(zone.name, zone.name));
    ui.zone.replaceChildren(...options);
  } catch {
    // The zone filter stays "any"; searching still works.
  }
}

ui.kind.addEventListener('change', showAccountKind);

ui.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const account = ui.account.value.trim();
  const password = ui.password.value;
  const body = accountKind() === 'directory' ? { username: account, password } : { email: account, password };
  notify('');
  try {
    const answer = await api('/api/v1/sessions', { method: 'POST', body });
    ui.password.value = '';
    setSession({ token: answer.token, user: answer.user });
    notify(`Logged in as ${answer.user.name ?? answer.user.email}.`, 'info');
    await loadZones();
    ui.sessionId.focus();
  } catch (error) {
    notify(error.message);
  }
});

ui.logout.addEventListener('click', () => {
  setSession(null);
  notify('Logged out.', 'info');
});

/** A date input (local calendar day) as an ISO instant: the day's start, or the next day's for "to". */
function dayStart(value, plusDays = 0) {
  if (value === '') return undefined;
  const date = new Date(`${value}T00:00:00`);
  date.setDate(date.getDate() + plusDays);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function currentQuery() {
  const query = new URLSearchParams();
  const put = (key, value) => {
    if (value !== undefined && value !== '') query.set(key, value);
  };
  put('sessionId', ui.sessionId.value.trim());
  put('projectId', ui.projectId.value.trim());
  put('zone', ui.zone.value);
  put('from', dayStart(ui.from.value));
  put('to', dayStart(ui.to.value, 1));
  return query;
}

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function stateOf(item) {
  if (item.deletedAt) return 'deleted';
  if (item.missing) return 'missing';
  return item.legalHold ? 'held' : 'stored';
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function button(text, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

function row(item) {
  const tr = document.createElement('tr');
  tr.dataset.id = item.id;
  tr.dataset.state = stateOf(item);
  const recorded = new Date(item.recordedAt);
  tr.append(
    cell(Number.isNaN(recorded.getTime()) ? item.recordedAt : recorded.toLocaleString()),
    cell(item.sessionId),
    cell(item.projectId ?? ''),
    cell(item.zone),
    cell(item.fileName),
    cell(formatSize(item.sizeBytes)),
    cell(stateOf(item)),
  );
  const actions = document.createElement('td');
  actions.className = 'actions';
  if (item.playbackUrl) {
    actions.append(
      button('Play', 'play', () => play(item)),
      button('Copy link', 'secondary copy', () => copyLink(item)),
    );
  }
  tr.append(actions);
  return tr;
}

/** The link's `exp` (epoch seconds; a value past 10^11 is taken as milliseconds) as local time. */
function expiryOf(url) {
  const exp = Number(new URL(url).searchParams.get('exp'));
  if (!Number.isFinite(exp) || exp <= 0) return 'unknown';
  return new Date(exp > 1e11 ? exp : exp * 1000).toLocaleString();
}

function showLink(item) {
  ui.playerArea.hidden = false;
  ui.link.value = item.playbackUrl;
  ui.linkExpiry.textContent = expiryOf(item.playbackUrl);
}

function stopPlayer() {
  ui.player.pause();
  ui.player.removeAttribute('src');
  ui.player.load();
  ui.playerArea.hidden = true;
}

function play(item) {
  showLink(item);
  ui.nowPlaying.textContent = `${item.fileName} · session ${item.sessionId}`;
  ui.player.src = item.playbackUrl;
  ui.player.play().catch(() => {
    // Autoplay may be refused; the controls are there.
  });
}

async function copyLink(item) {
  showLink(item);
  try {
    await navigator.clipboard.writeText(item.playbackUrl);
    notify('Link copied.', 'info');
  } catch {
    // No clipboard API (plain http from another host): select it for Ctrl+C.
    ui.link.focus();
    ui.link.select();
    notify('Press Ctrl+C to copy the selected link.', 'info');
  }
}

ui.player.addEventListener('error', () => {
  if (ui.player.getAttribute('src'))
    notify('The recording cannot be played: the link may have expired (search again) or the storage node is down.');
});

async function search(offset) {
  const query = new URLSearchParams(lastQuery);
  query.set('limit', String(PAGE_SIZE));
  query.set('offset', String(offset));
  notify('');
  try {
    const page = await api(`/api/v1/video/recordings?${query}`);
    ui.resultsArea.hidden = false;
    ui.rows.replaceChildren(...page.items.map(row));
    const last = offset + page.items.length;
    ui.resultCount.textContent = page.total === 0 ? 'No recordings found' : `Recordings ${offset + 1}–${last} of ${page.total}`;
    ui.resultCount.dataset.total = String(page.total);
    ui.prev.disabled = offset === 0;
    ui.next.disabled = last >= page.total;
    ui.prev.onclick = () => search(Math.max(0, offset - PAGE_SIZE));
    ui.next.onclick = () => search(offset + PAGE_SIZE);
  } catch (error) {
    notify(error.message);
  }
}

ui.searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  lastQuery = currentQuery().toString();
  void search(0);
});

showAccountKind();
setSession(null);
