// The video page (docs/console.md "Video", docs/video.md): zones (ADMIN: create, edit — the
// storage period is the retention setting — delete), a zone's agent tokens (issue, shown
// once; revoke), its retention preview and run, the recordings search with playback in the
// page and (ADMIN) the legal hold, and (ADMIN) the audit log.
import { api, ApiError, isAdmin } from './api.js';
import { el, statusLine, table, text } from './dom.js';
import { showErrors } from './entities.js';

/** The zone fields of docs/video.md: [name, label, input type, hint]. */
const ZONE_FIELDS = [
  ['publicAddress', 'Public address', 'text', 'host name or IP of the storage node as browsers reach it'],
  ['publicPort', 'Public port', 'number', "the storage node's admin port (PORT)"],
  ['storageDir', 'Storage directory', 'text', 'absolute path on the storage node'],
  ['fileType', 'File type', 'text', 'extension without the dot, e.g. mp4'],
  ['fileNamePattern', 'File name pattern', 'text', 'regular expression with named groups sessionId, projectId?, recordedAt?'],
  ['defaultStorageDays', 'Storage period (days)', 'number', 'recordings older than this are deleted by retention unless held'],
  ['uploadSpeedKbps', 'Upload speed (KB/s)', 'number', 'the rate workstation agents keep to'],
];

const zoneHref = (name) => `#/video/zone/${encodeURIComponent(name)}`;

function bytes(n) {
  return n >= 1_048_576 ? `${(n / 1_048_576).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** The video page: `#/video`, `#/video/new`, `#/video/zone/<name>`. */
export async function renderVideo(root, params) {
  root.append(el('h1', {}, 'Video'));
  let zones;
  try {
    zones = (await api('GET', '/api/v1/video/zones')).items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      root.append(el('p', { class: 'status', 'data-kind': 'error' }, 'The video index is not installed on this cluster.'));
      return;
    }
    throw error;
  }
  if (params[0] === 'new' && isAdmin()) return void zoneForm(root, undefined);
  if (params[0] === 'zone' && params[1] !== undefined) return void (await zonePage(root, params[1]));
  root.append(zoneList(zones), searchSection(zones));
  if (isAdmin()) root.append(await auditSection());
}

function zoneList(zones) {
  return el(
    'section',
    { 'aria-labelledby': 'zones-title' },
    el('h2', { id: 'zones-title' }, 'Zones'),
    isAdmin() ? el('p', {}, el('a', { href: '#/video/new', class: 'button' }, 'New zone')) : '',
    table(
      `Zones (${zones.length})`,
      [
        { label: 'Zone', cell: (z) => el('a', { href: zoneHref(z.name) }, z.name) },
        { label: 'Storage node', cell: (z) => `${z.publicAddress}:${z.publicPort}` },
        { label: 'Directory', cell: (z) => z.storageDir },
        { label: 'Storage period', cell: (z) => `${z.defaultStorageDays} days` },
        { label: 'Upload speed', cell: (z) => `${z.uploadSpeedKbps} KB/s` },
      ],
      zones,
    ),
  );
}

/** Create (zone undefined) or edit a zone; ADMIN only (the API refuses MANAGER anyway). */
function zoneForm(root, zone) {
  const status = statusLine('zone-status');
  /** @type {Map<string, { input: HTMLInputElement, error: HTMLElement }>} */
  const inputs = new Map();
  const fields = zone === undefined ? [['name', 'Name', 'text', 'letters, digits, _ and -'], ...ZONE_FIELDS] : ZONE_FIELDS;
  const rows = fields.map(([name, label, type, hint]) => {
    const input = el('input', {
      id: `zone-${name}`,
      name,
      type,
      value: zone?.[name] ?? '',
      'aria-describedby': `zone-hint-${name} zone-error-${name}`,
    });
    const error = el('span', { class: 'field-error', id: `zone-error-${name}` });
    inputs.set(name, { input, error });
    return el(
      'div',
      { class: 'field' },
      el('label', { for: input.id }, label),
      input,
      el('span', { class: 'hint', id: `zone-hint-${name}` }, hint),
      error,
    );
  });
  const form = el(
    'form',
    { class: 'entity', id: 'zone-form', novalidate: true, 'aria-labelledby': 'zone-form-title' },
    el('h2', { id: 'zone-form-title' }, zone === undefined ? 'New zone' : `Settings of ${zone.name}`),
    ...rows,
    el('p', {}, el('button', { type: 'submit' }, 'Save zone'), ' ', el('a', { href: '#/video' }, 'Back to video')),
    status.node,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {};
    for (const [name, , type] of fields) {
      const { input, error } = /** @type {{ input: HTMLInputElement, error: HTMLElement }} */ (inputs.get(name));
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      const raw = input.value.trim();
      if (zone !== undefined && raw === String(zone[name])) continue;
      if (raw !== '') body[name] = type === 'number' ? Number(raw) : raw;
    }
    try {
      const saved =
        zone === undefined
          ? await api('POST', '/api/v1/video/zones', body)
          : await api('PATCH', `/api/v1/video/zones/${encodeURIComponent(zone.name)}`, body);
      location.hash = zoneHref(saved.name);
      document.dispatchEvent(new CustomEvent('console-notice', { detail: `Saved zone ${saved.name}.` }));
    } catch (error) {
      showErrors(error, inputs, status);
    }
  });
  root.append(form);
}

/** One zone: its settings (ADMIN edits them), agent tokens, retention, delete. */
async function zonePage(root, name) {
  const zone = await api('GET', `/api/v1/video/zones/${encodeURIComponent(name)}`);
  root.append(el('p', {}, el('a', { href: '#/video' }, 'All zones')));
  if (isAdmin()) {
    zoneForm(root, zone);
    root.append(await tokensSection(zone));
  } else {
    root.append(
      el('h2', {}, `Zone ${zone.name}`),
      table(
        'Settings',
        [
          { label: 'Setting', cell: ([label]) => label },
          { label: 'Value', cell: ([, value]) => text(value) },
        ],
        ZONE_FIELDS.map(([key, label]) => [label, zone[key]]),
      ),
    );
  }
  root.append(await retentionSection(zone));
  if (isAdmin()) root.append(deleteSection(zone));
}

async function tokensSection(zone) {
  const status = statusLine('tokens-status');
  const shown = el('div', { id: 'token-once' });
  const list = el('div');
  const base = `/api/v1/video/zones/${encodeURIComponent(zone.name)}/agent-tokens`;
  const load = async () => {
    const { items } = await api('GET', base);
    list.replaceChildren(
      table(
        `Agent tokens (${items.length})`,
        [
          { label: 'Id', cell: (t) => t.id },
          { label: 'Issued', cell: (t) => t.createdAt },
          { label: 'Revoked', cell: (t) => text(t.revokedAt ?? '') },
          {
            label: 'Actions',
            cell: (t) =>
              t.revokedAt !== undefined
                ? ''
                : el('button', { type: 'button', 'aria-label': `Revoke token ${t.id}`, onclick: () => revoke(t.id) }, 'Revoke'),
          },
        ],
        items,
      ),
    );
  };
  const revoke = async (id) => {
    try {
      await api('DELETE', `${base}/${encodeURIComponent(id)}`);
      status.show(`Revoked token ${id}.`);
      await load();
    } catch (error) {
      status.show(error.message, 'error');
    }
  };
  const issue = el('button', { type: 'button', id: 'issue-token' }, 'Issue an agent token');
  issue.addEventListener('click', async () => {
    try {
      const { id, token } = await api('POST', base);
      const value = el('input', { id: 'new-token', readonly: true, value: token, size: 60, 'aria-describedby': 'new-token-note' });
      shown.replaceChildren(
        el('label', { for: 'new-token' }, `Token ${id}`),
        ' ',
        value,
        el('p', { id: 'new-token-note' }, 'Copy it into the agent now: it is shown this once and cannot be read again.'),
      );
      value.focus();
      value.select();
      status.show(`Issued token ${id}.`);
      await load();
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  await load();
  return el(
    'section',
    { 'aria-labelledby': 'tokens-title' },
    el('h2', { id: 'tokens-title' }, 'Agent tokens'),
    el('p', {}, issue),
    shown,
    status.node,
    list,
  );
}

async function retentionSection(zone) {
  const status = statusLine('retention-status');
  const report = el('div', { id: 'retention-report' });
  const path = `/api/v1/video/zones/${encodeURIComponent(zone.name)}/retention`;
  const previewArea = el('div', { id: 'retention-preview' });
  const preview = async () => {
    const { items } = await api('GET', `${path}/preview`);
    previewArea.replaceChildren(
      table(
        `The next run deletes (${items.length})`,
        [
          { label: 'File', cell: (r) => r.fileName },
          { label: 'Session', cell: (r) => r.sessionId },
          { label: 'Recorded', cell: (r) => r.recordedAt },
          { label: 'Storage period', cell: (r) => `${r.storageDays} days` },
        ],
        items,
      ),
    );
  };
  await preview();
  const section = el(
    'section',
    { 'aria-labelledby': 'retention-title' },
    el('h2', { id: 'retention-title' }, 'Retention'),
    el('p', {}, `Recordings older than their storage period (${zone.defaultStorageDays} days for new ones) are deleted unless held.`),
    el(
      'p',
      {},
      el(
        'button',
        { type: 'button', id: 'retention-preview-again', onclick: () => preview().catch((e) => status.show(e.message, 'error')) },
        'Preview again',
      ),
    ),
    previewArea,
  );
  if (!isAdmin()) return section;
  // The run happens on a storage node of the zone; elsewhere the API answers 307 to one, an
  // origin this page may not call: the operator opens that node's console instead.
  const { nodes } = await api('GET', '/api/v1/cluster/nodes');
  const storage = nodes.filter((n) => n.meta?.videoZone === zone.name);
  if (!storage.some((n) => n.name === document.body.dataset.node)) {
    section.append(
      storage.length === 0
        ? el('p', {}, 'No live storage node serves this zone: the retention cannot run now.')
        : el(
            'p',
            { id: 'retention-elsewhere' },
            'The retention runs on a storage node of the zone: open the console of ',
            ...storage.flatMap((n, i) => [
              i > 0 ? ', ' : '',
              el('a', { href: `http://${n.host}:${n.port}/admin${zoneHref(zone.name)}` }, n.name),
            ]),
            '.',
          ),
    );
    return section;
  }
  const run = el('button', { type: 'button', id: 'retention-run' }, 'Run the retention now');
  run.addEventListener('click', async () => {
    try {
      const done = await api('POST', `${path}/run`);
      status.show(`Retention of ${done.zone} finished.`);
      report.replaceChildren(
        table(
          'Last run',
          [
            { label: 'Deleted', cell: (d) => String(d.deleted.length) },
            { label: 'Held', cell: (d) => String(d.held) },
            { label: 'Failed', cell: (d) => String(d.failed.length) },
            { label: 'Finished', cell: (d) => d.finishedAt },
          ],
          [done],
        ),
      );
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  section.append(el('p', {}, run), status.node, report);
  return section;
}

function deleteSection(zone) {
  const status = statusLine('zone-delete-status');
  const remove = el('button', { type: 'button', id: 'zone-delete' }, `Delete zone ${zone.name}`);
  remove.addEventListener('click', async () => {
    try {
      await api('DELETE', `/api/v1/video/zones/${encodeURIComponent(zone.name)}`);
      location.hash = '#/video';
      document.dispatchEvent(new CustomEvent('console-notice', { detail: `Deleted zone ${zone.name}.` }));
    } catch (error) {
      status.show(`Cannot delete zone ${zone.name}: ${error.message}`, 'error');
    }
  });
  return el(
    'section',
    { 'aria-labelledby': 'zone-delete-title' },
    el('h2', { id: 'zone-delete-title' }, 'Delete'),
    el('p', {}, remove),
    status.node,
  );
}

function searchSection(zones) {
  const status = statusLine('video-status');
  const results = el('div', { id: 'video-results' });
  const player = el('div', { id: 'player' });
  const field = (id, label, props = {}) => {
    const input = el('input', { id, maxlength: 128, ...props });
    return { input, row: el('div', { class: 'field' }, el('label', { for: id }, label), input) };
  };
  const session = field('video-session', 'Session id');
  const project = field('video-project', 'Project');
  const from = field('video-from', 'Recorded from', { type: 'date' });
  const to = field('video-to', 'Recorded before', { type: 'date' });
  const zone = el(
    'select',
    { id: 'video-zone' },
    el('option', { value: '' }, 'any zone'),
    ...zones.map((z) => el('option', { value: z.name }, z.name)),
  );
  const form = el(
    'form',
    { novalidate: true, role: 'search', 'aria-labelledby': 'search-title' },
    el('h2', { id: 'search-title' }, 'Search recordings'),
    session.row,
    project.row,
    el('div', { class: 'field' }, el('label', { for: 'video-zone' }, 'Zone'), zone),
    from.row,
    to.row,
    el('p', {}, el('button', { type: 'submit' }, 'Search')),
  );
  const play = (recording) => {
    const video = el('video', { controls: true, preload: 'metadata', src: recording.playbackUrl, id: 'player-video' });
    player.replaceChildren(el('h3', {}, `Playing ${recording.fileName}`), video);
    video.focus();
  };
  const hold = async (recording, held) => {
    try {
      await api('PATCH', `/api/v1/video/recordings/${encodeURIComponent(recording.id)}`, { legalHold: held });
      status.show(held ? `${recording.fileName} is on legal hold.` : `Legal hold of ${recording.fileName} lifted.`);
      await search();
    } catch (error) {
      status.show(error.message, 'error');
    }
  };
  const columns = [
    { label: 'Recorded', cell: (r) => r.recordedAt },
    { label: 'Session', cell: (r) => r.sessionId },
    { label: 'Project', cell: (r) => text(r.projectId ?? '') },
    { label: 'Zone', cell: (r) => r.zone },
    { label: 'File', cell: (r) => `${r.fileName} (${bytes(r.sizeBytes)})` },
    { label: 'Legal hold', cell: (r) => (r.legalHold ? 'held' : 'no') },
    {
      label: 'Actions',
      cell: (r) =>
        el(
          'span',
          { class: 'actions' },
          r.playbackUrl === null
            ? r.deletedAt !== undefined
              ? 'deleted'
              : 'missing'
            : el('button', { type: 'button', 'aria-label': `Play ${r.fileName}`, onclick: () => play(r) }, 'Play'),
          ' ',
          isAdmin()
            ? el(
                'button',
                {
                  type: 'button',
                  'aria-label': `${r.legalHold ? 'Lift hold' : 'Legal hold'} ${r.fileName}`,
                  onclick: () => hold(r, !r.legalHold),
                },
                r.legalHold ? 'Lift hold' : 'Legal hold',
              )
            : '',
        ),
    },
  ];
  const search = async () => {
    const query = new URLSearchParams({ limit: '50' });
    if (session.input.value.trim() !== '') query.set('sessionId', session.input.value.trim());
    if (project.input.value.trim() !== '') query.set('projectId', project.input.value.trim());
    if (zone.value !== '') query.set('zone', zone.value);
    if (from.input.value !== '') query.set('from', `${from.input.value}T00:00:00Z`);
    if (to.input.value !== '') query.set('to', `${to.input.value}T00:00:00Z`);
    try {
      const page = await api('GET', `/api/v1/video/recordings?${query}`);
      results.replaceChildren(table(`Recordings (${page.total})`, columns, page.items));
    } catch (error) {
      status.show(error.message, 'error');
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.show('');
    void search();
  });
  return el('section', {}, form, status.node, results, player);
}

async function auditSection() {
  const page = await api('GET', '/api/v1/audit?limit=20');
  return el(
    'section',
    { 'aria-labelledby': 'audit-title' },
    el('h2', { id: 'audit-title' }, 'Audit log'),
    table(
      `Latest ${page.items.length} of ${page.total}`,
      [
        { label: 'When', cell: (a) => a.at },
        { label: 'Action', cell: (a) => a.action },
        { label: 'Who', cell: (a) => a.actor },
        { label: 'From', cell: (a) => a.ip },
        {
          label: 'What',
          cell: (a) =>
            Object.entries(a.details)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', '),
        },
      ],
      page.items,
    ),
  );
}
