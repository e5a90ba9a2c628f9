// The console's pages other than the domain model. Each `render…(root, params)` draws into
// `root` and may return a function that stops what it started (a live stream).
import { api, currentUser, isAdmin, stream } from './api.js';
import { el, facts, field, section, since, statusLine, table, text } from './dom.js';

/** "1.5 GiB" */
function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

const rate = (value) => (value === undefined ? '…' : `${value}/s`);

/** Ready, or what is down (or why the node's figures could not be read). */
function readiness(node) {
  if (node.stats === undefined) return `unknown: ${text(node.statsError)}`;
  return node.stats.ready ? 'ready' : `not ready: ${node.stats.down.join(', ')} down`;
}

function overviewNodes(nodes) {
  return table(
    `Nodes (${nodes.length})`,
    [
      { label: 'Name', cell: (n) => n.name },
      { label: 'Address', cell: (n) => `${n.host}:${n.port} (redirects :${n.apiPort})` },
      { label: 'Uptime', cell: (n) => since(n.startedAt) },
      { label: 'Readiness', cell: (n) => el('span', { class: n.stats?.ready ? 'ok' : 'bad' }, readiness(n)) },
      { label: 'Generation', cell: (n) => text(n.stats?.generation) },
      { label: 'Redirects', cell: (n) => rate(n.stats?.redirectsPerSecond) },
      { label: 'Errors', cell: (n) => rate(n.stats?.errorsPerSecond) },
      { label: 'Singletons held', cell: (n) => text(n.singletons) },
      {
        label: 'Video storage',
        cell: (n) => {
          const disk = n.stats?.videoDisk;
          return disk === undefined ? '' : `${disk.zone}: ${bytes(disk.usedBytes)} of ${bytes(disk.totalBytes)} used`;
        },
      },
    ],
    nodes,
  );
}

function overviewSummary(summary, nodes) {
  const transitions = nodes
    .flatMap((n) => n.stats?.transitions ?? [])
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, 10);
  return el(
    'div',
    { class: 'summary' },
    section(
      'edge-health-title',
      'Edge health',
      facts([
        ['Up', summary.edges.up],
        ['Down', summary.edges.down],
        ['Not active', summary.edges.inactive],
      ]),
      table(
        `Recent transitions (${transitions.length})`,
        [
          { label: 'When', cell: (t) => `${since(t.at)} ago` },
          { label: 'Edge', cell: (t) => t.server },
          { label: 'Now', cell: (t) => (t.available ? 'up' : 'down') },
        ],
        transitions,
      ),
    ),
    section(
      'chat-summary-title',
      'Chat',
      facts(
        Object.entries({ Rooms: summary.chat.rooms, 'Members online': summary.chat.members, 'Sockets in rooms': summary.chat.connections }),
      ),
    ),
    section('video-summary-title', 'Video', facts([['Zones', summary.video.zones.length === 0 ? 'none' : summary.video.zones.join(', ')]])),
  );
}

/** Overview: nodes with their readiness and rates, edge health, chat, video, the maps; live. */
export function renderOverview(root) {
  const status = statusLine('overview-status');
  const body = el('div', { class: 'live' });
  root.append(el('h1', {}, 'Overview'), status.node, body);
  status.show('Waiting for the first update…');
  return stream(
    '/api/v1/observer/overview/events',
    ({ nodes, maps, summary, summaryError }) => {
      status.show(`Live · updated ${new Date().toLocaleTimeString()}`);
      body.replaceChildren(
        overviewNodes(nodes),
        summary !== undefined ? overviewSummary(summary, nodes) : el('p', { class: 'status', 'data-kind': 'error' }, text(summaryError)),
        el('h2', {}, 'Domain model'),
        facts([
          ['Generation served', maps.generation ?? 'none (maps missing: run a rejoin)'],
          ['Switched', maps.switchedAt ?? ''],
        ]),
        table(
          'Cluster-store maps',
          [
            { label: 'Map', cell: (m) => m.name },
            { label: 'Entries', cell: (m) => String(m.entries) },
          ],
          maps.maps,
        ),
      );
    },
    (message) => status.show(message, 'error'),
  );
}

/** The records an explanation used, each a link to its form: [[collection, id, text], …]. */
function recordsUsed(answer) {
  const used = [];
  const subnet = answer.subnets?.find((s) => s.chosen);
  if (subnet !== undefined) {
    used.push(['subnets', subnet.id, `subnet ${subnet.name} (${subnet.cidr})`]);
    if (subnet.region !== undefined) used.push(['regions', subnet.region.id, `region ${subnet.region.name}`]);
    for (const group of subnet.groups) used.push(['server-groups', group.id, `server group ${group.name ?? group.id}`]);
  }
  const candidates = answer.selection?.candidates ?? [];
  const chosen = candidates.filter((c) => c.url !== undefined && c.url === answer.result.location);
  for (const edge of chosen.length > 0 ? chosen : candidates) used.push(['servers', edge.id, `edge ${edge.domainName}`]);
  const content = answer.content;
  if (content?.owner !== undefined) {
    const live = content.kind === 'live';
    used.push([live ? 'linear-channels' : 'programs', content.owner.id, `${live ? 'channel' : 'programme'} ${content.owner.name}`]);
    if (content.chosen !== undefined) {
      used.push([live ? 'tv-streams' : 'program-records', content.chosen.id, `${live ? 'stream' : 'record'} ${content.chosen.path}`]);
    }
  }
  return used;
}

/** Routing explain: what GET /api/v1/routing/explain answers, step by step, with the records it used. */
export function renderExplain(root) {
  const status = statusLine('explain-status');
  const out = el('div', { id: 'explain-result' });
  const path = el('input', { id: 'explain-path', name: 'path', maxlength: 4096, placeholder: '/btv/live/hls/ch1' });
  const ip = el('input', { id: 'explain-ip', name: 'ip', maxlength: 64, placeholder: '10.1.2.3' });
  const realIp = el('input', { id: 'explain-real-ip', name: 'realIp', maxlength: 64 });
  const form = el(
    'form',
    { novalidate: true },
    field('Request path', path),
    field('Client address', ip, 'the address the request comes from (a proxy, when X-Real-IP is given)'),
    field('X-Real-IP (optional)', realIp, 'counts only when the client address is a trusted proxy'),
    el('p', {}, el('button', { type: 'submit' }, 'Explain')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const query = new URLSearchParams({ path: path.value.trim(), ip: ip.value.trim() });
    if (realIp.value.trim() !== '') query.set('realIp', realIp.value.trim());
    try {
      const answer = await api('GET', `/api/v1/routing/explain?${query}`);
      status.show('');
      const used = recordsUsed(answer);
      out.replaceChildren(
        el('h2', {}, 'Decision'),
        el('ol', { class: 'steps' }, ...answer.steps.map((step) => el('li', {}, step))),
        el('h2', {}, 'Result'),
        facts(Object.entries(answer.result)),
        el('h2', {}, 'Records used'),
        used.length === 0
          ? el('p', {}, 'None.')
          : el(
              'ul',
              { id: 'explain-records' },
              ...used.map(([collection, id, label]) =>
                el('li', {}, el('a', { href: `#/domain/${collection}/edit/${encodeURIComponent(id)}` }, label)),
              ),
            ),
      );
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  root.append(el('h1', {}, 'Routing explain'), form, status.node, out);
}

function jobView(job) {
  return el(
    'div',
    { id: 'job' },
    facts([
      ['Job', job.jobId],
      ['State', job.state],
      ['Coordinated by', job.node],
      ['Generation', job.generation ?? ''],
      ['Acknowledged by', text(job.acknowledgedBy)],
      ['Missing', text(job.missingNodes ?? [])],
      ['Error', job.error ?? ''],
    ]),
    table(
      'Steps',
      [
        { label: 'Step', cell: (s) => s.name },
        { label: 'State', cell: (s) => s.state },
        { label: 'Time', cell: (s) => (s.ms === undefined ? '' : `${s.ms} ms`) },
        { label: 'Detail', cell: (s) => text(s.detail) },
      ],
      job.steps,
    ),
    table(
      'Records per entity',
      [
        { label: 'Entity', cell: ([k]) => k },
        { label: 'Records', cell: ([, v]) => String(v) },
      ],
      Object.entries(job.counts),
    ),
  );
}

/** Cluster: members, and (ADMIN) the rejoin with a confirmation and its live progress. */
export async function renderCluster(root) {
  const status = statusLine('cluster-status');
  const progress = el('div', { id: 'job-area' });
  let stop = () => {};
  const { nodes } = await api('GET', '/api/v1/cluster/nodes');
  root.append(
    el('h1', {}, 'Cluster'),
    table(
      `Members (${nodes.length})`,
      [
        { label: 'Name', cell: (n) => n.name },
        { label: 'Address', cell: (n) => `${n.host}:${n.port}` },
        { label: 'Up for', cell: (n) => since(n.startedAt) },
        { label: 'Singletons', cell: (n) => text(n.singletons) },
      ],
      nodes,
    ),
  );
  const follow = (jobId) => {
    stop();
    stop = stream(
      `/api/v1/observer/jobs/${encodeURIComponent(jobId)}/events`,
      (job) => {
        progress.replaceChildren(el('h2', {}, 'Rejoin progress'), jobView(job));
        if (job.state !== 'running') {
          status.show(`The rejoin ${job.state}.`, job.state === 'succeeded' ? 'info' : 'error');
          stop();
        }
      },
      (message) => status.show(message, 'error'),
    );
  };
  if (isAdmin()) {
    const confirmBox = el('p', { hidden: true, id: 'rejoin-confirm' });
    const start = el('button', { type: 'button', id: 'rejoin' }, 'Rejoin the cluster…');
    const yes = el('button', { type: 'button', id: 'rejoin-yes' }, 'Yes, rebuild every map and switch all nodes');
    const no = el('button', { type: 'button' }, 'Cancel');
    confirmBox.append('Rebuild the domain-model maps from MongoDB as a new generation? ', yes, ' ', no);
    start.addEventListener('click', () => {
      confirmBox.hidden = false;
      yes.focus();
    });
    no.addEventListener('click', () => {
      confirmBox.hidden = true;
      start.focus();
    });
    yes.addEventListener('click', async () => {
      confirmBox.hidden = true;
      try {
        const { jobId } = await api('POST', '/api/v1/cluster/rejoin');
        status.show(`Rejoin ${jobId} started.`);
        follow(jobId);
      } catch (error) {
        status.show(error.message, 'error');
      }
    });
    root.append(el('h2', {}, 'Rejoin'), el('p', {}, start), confirmBox);
  }
  root.append(status.node, progress);
  return () => stop();
}

/** The Observer: a node's live tree, singletons, cluster maps; ADMIN may stop an actor. */
export async function renderObserver(root, params) {
  const { nodes } = await api('GET', '/api/v1/cluster/nodes');
  const chosen = params[0] ?? document.body.dataset.node ?? nodes[0]?.name;
  const status = statusLine('observer-status');
  const tree = el('div', { id: 'tree' });
  const picker = el(
    'select',
    { id: 'observer-node' },
    ...nodes.map((n) => el('option', { value: n.name, selected: n.name === chosen }, n.name)),
  );
  picker.addEventListener('change', () => {
    location.hash = `#/observer/${encodeURIComponent(picker.value)}`;
  });
  const stopActor = async (path) => {
    try {
      const answer = await api('POST', `/api/v1/observer/nodes/${encodeURIComponent(chosen)}/actors/stop`, { path });
      status.show(`Stopped ${answer.path} on ${answer.node}; its supervisor restarts it.`);
    } catch (error) {
      status.show(error.message, 'error');
    }
  };
  const admin = isAdmin();
  const columns = [
    { label: 'Actor', cell: (a) => el('span', { class: `depth-${Math.min(a.depth, 6)}`, title: a.path }, a.name) },
    { label: 'Kind', cell: (a) => a.kind },
    { label: 'State', cell: (a) => a.state },
    { label: 'Restarts', cell: (a) => String(a.restarts) },
    { label: 'Last restart reason', cell: (a) => text(a.lastRestartReason) },
    { label: 'Mailbox', cell: (a) => String(a.mailbox) },
    { label: 'Messages/s', cell: (a) => String(a.messagesPerSecond) },
  ];
  if (admin) {
    columns.push({
      label: 'Stop',
      cell: (a) =>
        a.depth === 0
          ? ''
          : el('button', { type: 'button', 'aria-label': `Stop ${a.path}`, 'data-path': a.path, onclick: () => stopActor(a.path) }, 'Stop'),
    });
  }
  const [{ singletons }, maps] = await Promise.all([api('GET', '/api/v1/observer/singletons'), api('GET', '/api/v1/observer/maps')]);
  root.append(
    el('h1', {}, 'Observer'),
    el('p', {}, el('label', { for: 'observer-node' }, 'Node '), picker),
    status.node,
    tree,
    table(
      'Cluster singletons',
      [
        { label: 'Singleton', cell: (s) => s.name },
        { label: 'Held by', cell: (s) => s.holder },
        { label: 'Lease until', cell: (s) => s.expiresAt },
      ],
      singletons,
    ),
    table(
      `Cluster-store maps (generation ${maps.generation ?? 'none'})`,
      [
        { label: 'Map', cell: (m) => m.name },
        { label: 'Entries', cell: (m) => String(m.entries) },
        { label: 'Generation', cell: (m) => text(m.generation) },
      ],
      maps.maps,
    ),
  );
  let restoreFocus;
  return stream(
    `/api/v1/observer/nodes/${encodeURIComponent(chosen)}/tree/events`,
    (snapshot) => {
      // Keep the keyboard focus on the same Stop button across redraws.
      restoreFocus = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.path : undefined;
      tree.replaceChildren(table(`Supervision tree of ${snapshot.node} at ${snapshot.at}`, columns, snapshot.actors));
      if (restoreFocus !== undefined) tree.querySelector(`button[data-path="${CSS.escape(restoreFocus)}"]`)?.focus();
    },
    (message) => status.show(message, 'error'),
  );
}

/** Chat rooms with their members and message rates, live (the chat page stays at /). */
export function renderChat(root) {
  const status = statusLine('chat-status');
  const rooms = el('div', { id: 'chat-rooms' });
  root.append(el('h1', {}, 'Chat'), el('p', {}, 'The chat page itself is at ', el('a', { href: '/' }, '/'), '.'), status.node, rooms);
  status.show('Waiting for the first update…');
  return stream(
    '/api/v1/observer/chat/events',
    (snapshot) => {
      status.show(`Live · updated ${new Date().toLocaleTimeString()}`);
      rooms.replaceChildren(
        table(
          `Rooms (${snapshot.rooms.length})`,
          [
            { label: 'Room', cell: (r) => r.name },
            { label: 'Members', cell: (r) => String(r.members) },
            { label: 'Sockets', cell: (r) => String(r.connections) },
            { label: 'Messages', cell: (r) => text(r.lastMessageId === null ? 0 : Number(r.lastMessageId)) },
            { label: 'Messages/min', cell: (r) => (r.messagesPerMinute === undefined ? '…' : String(r.messagesPerMinute)) },
          ],
          snapshot.rooms,
        ),
      );
    },
    (message) => status.show(message, 'error'),
  );
}

/** Users (ADMIN): list, create, change role, reset password, delete (not yourself). */
export async function renderUsers(root) {
  const status = statusLine('users-status');
  const list = el('div');
  const me = currentUser()?.id;
  const load = async () => {
    const page = await api('GET', '/api/v1/users?limit=100');
    list.replaceChildren(
      table(
        `Users (${page.total})`,
        [
          { label: 'E-mail', cell: (u) => u.email },
          { label: 'Name', cell: (u) => text(u.name) },
          {
            label: 'Role',
            cell: (u) => {
              const select = el(
                'select',
                { 'aria-label': `Role of ${u.email}` },
                ...['ADMIN', 'MANAGER'].map((r) => el('option', { value: r, selected: u.role === r }, r)),
              );
              select.addEventListener('change', () =>
                act(`Role of ${u.email} changed.`, () => api('PATCH', `/api/v1/users/${encodeURIComponent(u.id)}`, { role: select.value })),
              );
              return select;
            },
          },
          {
            label: 'Actions',
            cell: (u) => {
              const password = el('input', {
                type: 'password',
                'aria-label': `New password for ${u.email}`,
                autocomplete: 'new-password',
                maxlength: 1024,
              });
              const reset = el('button', { type: 'button' }, 'Reset password');
              reset.addEventListener('click', () =>
                act(`Password of ${u.email} reset.`, () =>
                  api('PATCH', `/api/v1/users/${encodeURIComponent(u.id)}`, { password: password.value }),
                ),
              );
              const remove = el('button', { type: 'button', disabled: u.id === me, 'aria-label': `Delete ${u.email}` }, 'Delete');
              remove.addEventListener('click', () =>
                act(`Deleted ${u.email}.`, () => api('DELETE', `/api/v1/users/${encodeURIComponent(u.id)}`)),
              );
              return el('span', { class: 'actions' }, password, ' ', reset, ' ', remove);
            },
          },
        ],
        page.items,
      ),
    );
  };
  const act = async (done, call) => {
    try {
      await call();
      status.show(done);
      await load();
    } catch (error) {
      status.show(error.message, 'error');
    }
  };
  const email = el('input', { id: 'user-email', type: 'email', maxlength: 256, autocomplete: 'off' });
  const password = el('input', { id: 'user-password', type: 'password', maxlength: 1024, autocomplete: 'new-password' });
  const role = el('select', { id: 'user-role' }, el('option', { value: 'MANAGER' }, 'MANAGER'), el('option', { value: 'ADMIN' }, 'ADMIN'));
  const form = el(
    'form',
    { novalidate: true },
    el('h2', {}, 'New user'),
    el('div', { class: 'field' }, el('label', { for: 'user-email' }, 'E-mail'), email),
    el('div', { class: 'field' }, el('label', { for: 'user-password' }, 'Password'), password),
    el('div', { class: 'field' }, el('label', { for: 'user-role' }, 'Role'), role),
    el('p', {}, el('button', { type: 'submit' }, 'Create user')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(`Created ${email.value}.`, () =>
      api('POST', '/api/v1/users', { email: email.value.trim(), password: password.value, role: role.value }),
    );
  });
  root.append(el('h1', {}, 'Users'), status.node, list, form);
  await load();
}
