// The chat page's script (an ES module, served as is). It talks to the node through the
// official phoenix client. Everything users typed is put on the page with textContent only.
import { Presence, Socket } from './phoenix.mjs';

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PERMANENT_REFUSALS = new Set(['unmatched topic', 'too_many_rooms']);

const $ = (id) => document.getElementById(id);
const ui = {
  joinForm: $('join-form'),
  user: $('user'),
  room: $('room'),
  roomList: $('room-list'),
  authFields: $('auth-fields'),
  email: $('email'),
  password: $('password'),
  join: $('join'),
  leave: $('leave'),
  notice: $('notice'),
  status: $('status'),
  roomTitle: $('room-title'),
  messages: $('messages'),
  sendForm: $('send-form'),
  body: $('body'),
  send: $('send'),
  presence: $('presence'),
};

const requireAuth = document.body.dataset.requireAuth === 'true';

/** The current session: one socket, one channel. */
let session = null;

function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function notify(text) {
  ui.notice.textContent = text;
}

function setJoined(joined) {
  ui.body.disabled = !joined;
  ui.send.disabled = !joined;
  ui.leave.disabled = session === null;
}

function timeOf(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
}

function messageItem(message) {
  const item = document.createElement('li');
  item.className = 'message';
  item.dataset.id = message.id;
  const at = document.createElement('time');
  at.dateTime = message.at;
  at.textContent = timeOf(message.at);
  const user = document.createElement('span');
  user.className = 'user';
  user.textContent = message.user;
  const body = document.createElement('span');
  body.className = 'body';
  body.textContent = message.body;
  item.append(at, user, body);
  return item;
}

/** Adds messages newer than the last one shown (ids sort in room order). */
function showMessages(current, messages) {
  for (const message of messages) {
    if (current.lastSeenId !== null && message.id <= current.lastSeenId) continue;
    ui.messages.append(messageItem(message));
    current.lastSeenId = message.id;
  }
  ui.messages.lastElementChild?.scrollIntoView({ block: 'end' });
}

function renderPresence(presence) {
  const rows = presence.list((user, { metas }) => ({ user, metas }));
  rows.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  const items = rows.map(({ user, metas }) => {
    const item = document.createElement('li');
    item.dataset.user = user;
    const name = document.createElement('span');
    name.className = 'user';
    name.textContent = user;
    const nodes = document.createElement('span');
    nodes.className = 'nodes';
    nodes.textContent = [...new Set(metas.map((meta) => meta.node))].join(', ');
    item.append(name, nodes);
    return item;
  });
  ui.presence.replaceChildren(...items);
}

async function login(email, password) {
  const answer = await fetch('/api/v1/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok || typeof body.token !== 'string') throw new Error(body.message || `login failed (${answer.status})`);
  return body.token;
}

function stopSession() {
  const current = session;
  session = null;
  if (current === null) return;
  current.channel.leave();
  current.socket.disconnect();
  ui.presence.replaceChildren();
  setStatus('idle', 'not connected');
  ui.roomTitle.textContent = 'No room';
  setJoined(false);
}

function startSession(user, room, token) {
  stopSession();
  ui.messages.replaceChildren();
  notify('');
  const socket = new Socket('/socket', {
    ...(token !== undefined ? { authToken: token } : {}),
    reconnectAfterMs: (tries) => [200, 500, 1000, 2000][tries - 1] ?? 5000,
  });
  const current = { socket, channel: null, lastSeenId: null, room };
  // Called on every (re)join: after a reconnect the server sends what we missed.
  const channel = socket.channel(`room:${room}`, () => ({
    user,
    ...(current.lastSeenId !== null ? { last_seen_id: current.lastSeenId } : {}),
  }));
  current.channel = channel;
  session = current;

  const presence = new Presence(channel);
  presence.onSync(() => {
    if (session === current) renderPresence(presence);
  });
  channel.on('new_msg', (message) => {
    if (session === current) showMessages(current, [message]);
  });
  channel.onError(() => {
    if (session !== current) return;
    setJoined(false);
    setStatus('reconnecting', 'reconnecting…');
  });
  socket.onOpen(() => {
    if (session === current) setStatus('connected', 'connected');
  });
  socket.onClose(() => {
    if (session !== current) return;
    setJoined(false);
    setStatus('reconnecting', 'connection lost, reconnecting…');
  });

  socket.connect();
  ui.roomTitle.textContent = `#${room}`;
  channel
    .join()
    .receive('ok', (reply) => {
      if (session !== current) return;
      if (!reply.recovered) {
        // Too much was missed (or the last id is unknown): show the latest page afresh.
        if (current.lastSeenId !== null) notify('Some older messages were skipped while you were away.');
        ui.messages.replaceChildren();
        current.lastSeenId = null;
      }
      showMessages(current, reply.messages);
      setStatus('joined', `joined #${room}`);
      setJoined(true);
      ui.body.focus();
    })
    .receive('error', (reply) => {
      if (session !== current) return;
      notify(`Could not join: ${reply.details || reply.reason || 'refused'}`);
      // A refusal of what we sent will not change on retry; anything else the client retries.
      if (PERMANENT_REFUSALS.has(reply.reason) || String(reply.reason).startsWith('invalid')) stopSession();
    })
    .receive('timeout', () => {
      if (session === current) notify('Joining takes long; still trying…');
    });
  setJoined(false);
}

ui.joinForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const user = ui.user.value.trim();
  const room = ui.room.value.trim();
  if (!ROOM_NAME.test(room)) {
    notify('Room names are 1-64 letters, digits, _ or -.');
    return;
  }
  if (!requireAuth && user === '') {
    notify('Pick a name.');
    return;
  }
  let token;
  if (requireAuth) {
    try {
      token = await login(ui.email.value.trim(), ui.password.value);
    } catch (error) {
      notify(error.message);
      return;
    }
  }
  startSession(user, room, token);
});

ui.leave.addEventListener('click', () => stopSession());

ui.sendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const current = session;
  const body = ui.body.value;
  if (current === null || body.trim() === '') return;
  ui.send.disabled = true;
  current.channel
    .push('new_msg', { body })
    .receive('ok', () => {
      if (ui.body.value === body) ui.body.value = '';
      ui.send.disabled = false;
      ui.body.focus();
    })
    .receive('error', (reply) => {
      notify(reply.reason === 'rate_limited' ? 'Slow down a little.' : `Not sent: ${reply.details || reply.reason}`);
      ui.send.disabled = false;
    })
    .receive('timeout', () => {
      notify('Not sent: the server did not answer in time.');
      ui.send.disabled = false;
    });
});

async function suggestRooms() {
  try {
    const answer = await fetch('/api/v1/chat/rooms');
    if (!answer.ok) return;
    const { rooms } = await answer.json();
    ui.roomList.replaceChildren(
      ...rooms.map((room) => {
        const option = document.createElement('option');
        option.value = room.name;
        option.label = `${room.members} online`;
        return option;
      }),
    );
  } catch {
    // suggestions only
  }
}

if (requireAuth) {
  ui.authFields.hidden = false;
  ui.user.required = false;
  ui.user.disabled = true;
  ui.user.placeholder = 'from your account';
} else {
  void suggestRooms();
}
setStatus('idle', 'not connected');
