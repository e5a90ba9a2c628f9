// The whole domain model as a JSON file: export (GET /api/v1/domain) for anyone who may read
// it, and (ADMIN) import with a dry-run diff against what the cluster serves, applied with
// PUT /api/v1/domain only after the operator saw the diff.
import { api, ApiError, isAdmin } from './api.js';
import { el, statusLine, table } from './dom.js';

const MANAGED = ['createdAt', 'updatedAt', 'version'];

/** A record without the fields the server owns, as comparable text. */
function comparable(record) {
  const copy = { ...record };
  for (const key of MANAGED) delete copy[key];
  return JSON.stringify(
    Object.keys(copy)
      .sort()
      .map((k) => [k, copy[k]]),
  );
}

/** Per list of the document: how many records the import adds, changes, removes, keeps. */
export function diffModels(current, next) {
  const keys = [...new Set([...Object.keys(current), ...Object.keys(next)])].sort();
  return keys.map((key) => {
    const before = new Map((current[key] ?? []).map((r) => [r.id, comparable(r)]));
    const after = new Map((Array.isArray(next[key]) ? next[key] : []).map((r) => [r?.id, comparable(r)]));
    let added = 0;
    let changed = 0;
    let same = 0;
    for (const [id, text] of after) {
      if (!before.has(id)) added += 1;
      else if (before.get(id) === text) same += 1;
      else changed += 1;
    }
    const removed = [...before.keys()].filter((id) => !after.has(id)).length;
    return { key, added, changed, removed, same };
  });
}

export function renderModelTransfer(root) {
  const status = statusLine('transfer-status');
  const diffArea = el('div', { id: 'import-diff' });
  const download = el('a', { id: 'export-link', hidden: true, download: 'beamstack-domain-model.json' }, 'Save the exported file');
  const exportButton = el('button', { type: 'button', id: 'export' }, 'Export the whole model');
  exportButton.addEventListener('click', async () => {
    try {
      const model = await api('GET', '/api/v1/domain');
      if (download.href) URL.revokeObjectURL(download.href);
      download.href = URL.createObjectURL(new Blob([JSON.stringify(model, null, 2)], { type: 'application/json' }));
      download.hidden = false;
      download.click();
      status.show('Exported the whole model.');
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  root.append(el('h2', {}, 'Whole model'), el('p', {}, exportButton, ' ', download));
  if (!isAdmin()) {
    root.append(status.node);
    return;
  }
  const file = el('input', { id: 'import-file', type: 'file', accept: 'application/json,.json' });
  file.addEventListener('change', async () => {
    diffArea.replaceChildren();
    const chosen = file.files?.[0];
    if (chosen === undefined) return;
    let next;
    try {
      next = JSON.parse(await chosen.text());
    } catch {
      status.show(`${chosen.name} is not JSON.`, 'error');
      return;
    }
    try {
      const diff = diffModels(await api('GET', '/api/v1/domain'), next);
      const apply = el('button', { type: 'button', id: 'import-apply' }, 'Replace the whole model with this file');
      apply.addEventListener('click', async () => {
        try {
          const answer = await api('PUT', '/api/v1/domain', next);
          status.show(`Replaced the whole model; the cluster serves generation ${answer.generation}.`);
          diffArea.replaceChildren();
        } catch (error) {
          const details = error instanceof ApiError ? error.details : [];
          status.show(error.message, 'error');
          diffArea.replaceChildren(el('ul', { class: 'problems' }, ...details.map((d) => el('li', {}, `${d.path}: ${d.message}`))));
        }
      });
      diffArea.replaceChildren(
        table(
          'Dry run: what the import would change',
          [
            { label: 'List', cell: (d) => d.key },
            { label: 'Added', cell: (d) => String(d.added) },
            { label: 'Changed', cell: (d) => String(d.changed) },
            { label: 'Removed', cell: (d) => String(d.removed) },
            { label: 'Unchanged', cell: (d) => String(d.same) },
          ],
          diff,
        ),
        el('p', {}, apply),
      );
      status.show(`Dry run of ${chosen.name}: nothing is changed until you apply it.`);
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  root.append(el('p', {}, el('label', { for: 'import-file' }, 'Import a model file (dry run first) '), file), status.node, diffArea);
}
