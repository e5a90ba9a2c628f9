// EPG and recordings (docs/console.md): an EPG file uploaded to the XMLTV import, the
// scheduling jobs with their last runs, and one channel's programmes of one day on a
// timeline with their records' status.
import { api, apiSend, latestOnly } from './api.js';
import { el, facts, statusLine, table, text } from './dom.js';

const DAY_MS = 86_400_000;

/** "2025-01-10" of a time, in UTC (the EPG's times are UTC). */
const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);
const clock = (iso) => iso.slice(11, 16);

/** Every record of a collection matching `filter` (pages of 1000). */
async function all(collection, filter) {
  const items = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api('GET', `/api/v1/${collection}?${new URLSearchParams({ ...filter, limit: '1000', offset: String(offset) })}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

function uploadForm(onImported) {
  const status = statusLine('epg-upload-status');
  const report = el('div', { id: 'epg-report' });
  const file = el('input', { id: 'epg-file', type: 'file', accept: '.xml,application/xml,text/xml' });
  const form = el(
    'form',
    { novalidate: true, 'aria-labelledby': 'epg-upload-title' },
    el('h2', { id: 'epg-upload-title' }, 'Import an EPG file'),
    el('div', { class: 'field' }, el('label', { for: 'epg-file' }, 'XMLTV or Kaltura EPG file'), file),
    el('p', {}, el('button', { type: 'submit' }, 'Import')),
    status.node,
    report,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (chosen === undefined) {
      status.show('Choose a file first.', 'error');
      file.focus();
      return;
    }
    status.show(`Importing ${chosen.name}…`);
    report.replaceChildren();
    try {
      const answer = await apiSend('POST', '/api/v1/epg', await chosen.text(), 'application/xml');
      status.show(`Imported ${chosen.name}.`);
      report.replaceChildren(
        facts([
          ['Created', answer.created],
          ['Updated', answer.updated],
          ['Unchanged', answer.unchanged],
          ['Skipped', answer.skippedCount],
        ]),
        answer.skipped.length === 0
          ? ''
          : table(
              `Skipped programmes (first ${answer.skipped.length})`,
              [
                { label: 'Channel', cell: (s) => text(s.channel ?? s.epgId) },
                { label: 'Start', cell: (s) => text(s.start) },
                { label: 'Reason', cell: (s) => s.reason },
              ],
              answer.skipped,
            ),
      );
      onImported();
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  return form;
}

/** The programmes of one channel on one UTC day, drawn on a 24-hour bar and listed. */
async function timelineOf(channel, day) {
  const start = Date.parse(`${day}T00:00:00Z`);
  const end = start + DAY_MS;
  const programs = (await all('programs', { linearChannelId: channel.id }))
    .filter((p) => Date.parse(p.endDatetime) > start && Date.parse(p.startDatetime) < end)
    .sort((a, b) => a.startDatetime.localeCompare(b.startDatetime));
  const records = new Map(
    await Promise.all(
      programs.map(async (p) => /** @type {[string, any[]]} */ ([p.id, await all('program-records', { programId: p.id })])),
    ),
  );
  const statusOf = (p) => {
    const list = records.get(p.id) ?? [];
    return list.length === 0 ? 'none' : [...new Set(list.map((r) => r.status))].join(', ');
  };
  const bar = el('ol', { class: 'timeline', 'aria-hidden': 'true' });
  for (const p of programs) {
    const from = Math.max(start, Date.parse(p.startDatetime));
    const to = Math.min(end, Date.parse(p.endDatetime));
    const block = el(
      'li',
      { title: `${clock(p.startDatetime)} ${p.name} (records: ${statusOf(p)})` },
      `${clock(p.startDatetime)} ${p.name}`,
    );
    // CSSOM, not a style attribute: the CSP allows no inline style.
    block.style.left = `${((from - start) / DAY_MS) * 100}%`;
    block.style.width = `${((to - from) / DAY_MS) * 100}%`;
    block.dataset.records = (records.get(p.id) ?? []).length === 0 ? 'none' : (records.get(p.id) ?? [])[0].status;
    bar.append(block);
  }
  const recordLinks = (p) => {
    const list = records.get(p.id) ?? [];
    if (list.length === 0) return 'no record';
    return el(
      'span',
      {},
      ...list.flatMap((r, i) => [
        i > 0 ? ', ' : '',
        el('a', { href: `#/domain/program-records/edit/${encodeURIComponent(r.id)}` }, `${r.protocol} ${r.status}`),
      ]),
    );
  };
  return [
    el(
      'div',
      { class: 'timeline-scale', 'aria-hidden': 'true' },
      ...['00:00', '06:00', '12:00', '18:00', '24:00'].map((t) => el('span', {}, t)),
    ),
    bar,
    table(
      `${channel.name}, ${day} (UTC): ${programs.length} programmes`,
      [
        { label: 'Start', cell: (p) => p.startDatetime },
        { label: 'End', cell: (p) => p.endDatetime },
        { label: 'Programme', cell: (p) => el('a', { href: `#/domain/programs/edit/${encodeURIComponent(p.id)}` }, p.name) },
        { label: 'Records', cell: recordLinks },
      ],
      programs,
    ),
  ];
}

function timelineSection(channels) {
  const status = statusLine('timeline-status');
  const area = el('div', { id: 'timeline' });
  const channel = el('select', { id: 'timeline-channel' }, ...channels.map((c) => el('option', { value: c.id }, c.name)));
  const day = el('input', { id: 'timeline-day', type: 'date', value: dayOf(Date.now()) });
  // A slow earlier draw must not replace the day chosen since.
  const latest = latestOnly();
  const draw = async () => {
    const chosen = channels.find((c) => c.id === channel.value);
    if (chosen === undefined || day.value === '') return;
    try {
      const drawn = await latest(() => timelineOf(chosen, day.value));
      if (drawn === undefined) return;
      area.replaceChildren(...drawn.value);
      status.show('');
    } catch (error) {
      status.show(error.message, 'error');
    }
  };
  const shift = (days) => {
    day.value = dayOf(Date.parse(`${day.value}T00:00:00Z`) + days * DAY_MS);
    void draw();
  };
  channel.addEventListener('change', () => void draw());
  day.addEventListener('change', () => void draw());
  const section = el(
    'section',
    { 'aria-labelledby': 'timeline-title' },
    el('h2', { id: 'timeline-title' }, 'Programmes'),
    channels.length === 0
      ? el('p', {}, 'No linear channel yet.')
      : el(
          'p',
          { class: 'filters' },
          el('label', { for: 'timeline-channel' }, 'Channel'),
          channel,
          el('label', { for: 'timeline-day' }, 'Day (UTC)'),
          day,
          el('button', { type: 'button', onclick: () => shift(-1) }, 'Previous day'),
          el('button', { type: 'button', onclick: () => shift(1) }, 'Next day'),
        ),
    status.node,
    area,
  );
  void draw();
  return { section, draw };
}

/** A job's last run: when, on which node, ok or not, what it did. */
function lastRun(job) {
  const run = job.lastRun;
  if (run === null || run === undefined) return 'not yet';
  const counts = Object.entries(run.counts).map(([k, v]) => `${k} ${v}`);
  const problems = run.errors.length > 0 ? [`${run.errors.length} problems, first: ${run.errors[0].reason}`] : [];
  return `${run.endedAt} on ${run.node}: ${run.ok ? 'ok' : 'failed'}${[...counts, ...problems].length > 0 ? ` (${[...counts, ...problems].join(', ')})` : ''}`;
}

/** EPG and recordings: upload, the scheduling jobs, the programme timeline. */
export async function renderEpg(root) {
  const [scheduling, channels] = await Promise.all([api('GET', '/api/v1/scheduling'), all('linear-channels', {})]);
  const jobs = scheduling.jobs ?? [];
  const timeline = timelineSection(channels.sort((a, b) => a.name.localeCompare(b.name)));
  root.append(
    el('h1', {}, 'EPG and recordings'),
    uploadForm(() => void timeline.draw()),
    table(
      `Scheduling jobs (${jobs.length})`,
      [
        { label: 'Job', cell: (j) => j.job },
        { label: 'Enabled', cell: (j) => (j.enabled ? 'yes' : `no${j.disabledReason ? `: ${j.disabledReason}` : ''}`) },
        { label: 'Held by', cell: (j) => text(j.holder ?? '') },
        { label: 'Every', cell: (j) => `${Math.round(j.intervalMs / 1000)} s` },
        { label: 'Last run', cell: lastRun },
        { label: 'Next run', cell: (j) => text(j.nextRunAt ?? '') },
      ],
      jobs,
    ),
    timeline.section,
  );
}
