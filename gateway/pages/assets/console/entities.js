// The domain model pages: ONE generic list and form for every entity, built from the entity
// schemas the API validates with (GET /api/v1/domain/schemas): columns and fields from the
// record and create schemas, relations as pickers from the referenced collection, the API's
// validation messages shown at their field and refused deletes explained.
import { api, ApiError, latestOnly } from './api.js';
import { el, humanize, statusLine, table, text } from './dom.js';
import { renderModelTransfer } from './model-transfer.js';

const PAGE_SIZE = 20;
const MANAGED = new Set(['createdAt', 'updatedAt', 'version']);
const MAX_COLUMNS = 6;

/** @type {Promise<any[]> | undefined} */
let schemasLoaded;
const schemas = () => (schemasLoaded ??= api('GET', '/api/v1/domain/schemas').then((answer) => answer.collections));

/** The allowed values of an enum-like property, or undefined. */
function choicesOf(prop) {
  if (Array.isArray(prop.enum)) return prop.enum.map(String);
  if (Array.isArray(prop.anyOf) && prop.anyOf.every((s) => s.const !== undefined)) return prop.anyOf.map((s) => String(s.const));
  return undefined;
}

/** Whether the API sorts the collection's list by this field (its own scalar fields). */
function isSortable(collection, field) {
  const prop = collection.record.properties[field];
  if (prop === undefined || collection.derived.includes(field)) return false;
  return ['string', 'integer', 'boolean'].includes(prop.type) || Array.isArray(prop.anyOf);
}

/** The editable fields of a collection: [name, property schema, required]. */
function formFields(collection) {
  const { properties, required = [] } = collection.create;
  return Object.entries(properties)
    .filter(([name, prop]) => !MANAGED.has(name) && !collection.derived.includes(name) && prop.readOnly !== true)
    .map(([name, prop]) => ({ name, prop, required: required.includes(name) }));
}

/** Labels of a referenced collection's records: id → name (or id). */
async function referenceOptions(target) {
  const page = await api('GET', `/api/v1/${target}?limit=1000`);
  return page.items.map((item) => ({ id: item.id, label: item.name ?? item.domainName ?? item.streamPath ?? item.path ?? item.id }));
}

/**
 * The domain page: a sub-navigation of every collection, then the list (or form) of the one
 * named in the route.
 * @param {HTMLElement} root
 * @param {string[]} params [collection, 'new' | 'edit', id]
 */
export async function renderDomain(root, params) {
  const collections = await schemas();
  const current = collections.find((c) => c.name === params[0]) ?? collections[0];
  root.append(
    el('h1', {}, 'Domain model'),
    el(
      'nav',
      { 'aria-label': 'Entities', class: 'subnav' },
      ...collections.map((c) =>
        el('a', { href: `#/domain/${c.name}`, 'aria-current': c === current ? 'page' : undefined }, humanize(c.plural)),
      ),
    ),
  );
  if (params[1] === 'new' || params[1] === 'edit')
    await renderForm(root, current, collections, params[1] === 'edit' ? params[2] : undefined);
  else {
    await renderList(root, current);
    renderModelTransfer(root);
  }
}

async function renderList(root, collection) {
  const status = statusLine('list-status');
  const fields = Object.keys(collection.record.properties).filter((k) => !MANAGED.has(k));
  const columns = fields.slice(0, MAX_COLUMNS);
  const filterField = el('select', { id: 'filter-field' }, ...fields.map((f) => el('option', { value: f }, humanize(f))));
  const filterValue = el('input', { id: 'filter-value', maxlength: 256 });
  const search = el('input', { id: 'search', type: 'search', maxlength: 256 });
  const holder = el('div', { class: 'list' });
  // Sorting and search happen in the API, over every page (docs/api.md: ?sort=&q=).
  const sortable = new Set(fields.filter((f) => isSortable(collection, f)));
  let offset = 0;
  let sortKey = 'id';
  let ascending = true;
  /** @type {any[]} */
  let items = [];
  let total = 0;

  const draw = () => {
    const header = (field) =>
      el(
        'button',
        {
          type: 'button',
          class: 'sort',
          onclick: () => {
            ascending = sortKey === field ? !ascending : true;
            sortKey = field;
            void load(0);
          },
        },
        humanize(field),
        sortKey === field ? (ascending ? ' ▲' : ' ▼') : '',
      );
    const t = table(
      `${humanize(collection.plural)}: ${total} in all, ${offset + 1}–${Math.min(offset + PAGE_SIZE, total)} here`,
      [
        ...columns.map((field) => ({ label: field, cell: (row) => text(row[field]) })),
        {
          label: 'Actions',
          cell: (row) =>
            el(
              'span',
              { class: 'actions' },
              el(
                'a',
                {
                  href: `#/domain/${collection.name}/edit/${encodeURIComponent(row.id)}`,
                  'aria-label': `Edit ${text(row.name ?? row.id)}`,
                },
                'Edit',
              ),
              ' ',
              el('button', { type: 'button', onclick: () => remove(row), 'aria-label': `Delete ${text(row.name ?? row.id)}` }, 'Delete'),
            ),
        },
      ],
      items,
    );
    // Column headers become sort buttons (keyboard reachable); aria-sort says which one sorts.
    t.querySelectorAll('thead th').forEach((th, i) => {
      const field = columns[i];
      if (field === undefined || !sortable.has(field)) return;
      th.replaceChildren(header(field));
      if (field === sortKey) th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    });
    holder.replaceChildren(
      t,
      el(
        'p',
        { class: 'pager' },
        el('button', { type: 'button', disabled: offset === 0, onclick: () => load(Math.max(0, offset - PAGE_SIZE)) }, 'Previous page'),
        ' ',
        el('button', { type: 'button', disabled: offset + PAGE_SIZE >= total, onclick: () => load(offset + PAGE_SIZE) }, 'Next page'),
      ),
    );
  };

  const latestLoad = latestOnly();
  const load = async (at) => {
    offset = at;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset), sort: `${ascending ? '' : '-'}${sortKey}` });
    if (filterValue.value.trim() !== '') query.set(filterField.value, filterValue.value.trim());
    if (search.value.trim() !== '') query.set('q', search.value.trim());
    try {
      // A late answer to an earlier sort, search or page must not replace the latest.
      const answer = await latestLoad(() => api('GET', `/api/v1/${collection.name}?${query}`));
      if (answer === undefined) return;
      items = answer.value.items;
      total = answer.value.total;
      draw();
    } catch (error) {
      status.show(error.message, 'error');
    }
  };

  const remove = async (row) => {
    try {
      await api('DELETE', `/api/v1/${collection.name}/${encodeURIComponent(row.id)}`);
      status.show(`Deleted ${collection.singular} ${text(row.name ?? row.id)}.`);
      await load(offset);
    } catch (error) {
      const refused = error instanceof ApiError && error.status === 409;
      status.show(refused ? `Cannot delete ${collection.singular} ${text(row.name ?? row.id)}: ${error.message}` : error.message, 'error');
    }
  };

  root.append(
    el('h2', {}, humanize(collection.plural)),
    el('p', {}, el('a', { href: `#/domain/${collection.name}/new`, class: 'button' }, `New ${collection.singular}`)),
    el(
      'form',
      {
        class: 'filters',
        role: 'search',
        onsubmit: (event) => {
          event.preventDefault();
          void load(0);
        },
      },
      el('label', { for: 'filter-field' }, 'Field'),
      filterField,
      el('label', { for: 'filter-value' }, 'equals'),
      filterValue,
      el('label', { for: 'search' }, 'Search'),
      search,
      el('button', { type: 'submit' }, 'Filter and search'),
    ),
    status.node,
    holder,
  );
  await load(0);
}

/** One input for a property; relation fields are pickers of the referenced records. */
async function inputFor(field, reference, value) {
  const id = `field-${field.name}`;
  const { prop } = field;
  const choices = choicesOf(prop);
  if (reference !== undefined) {
    const options = await referenceOptions(reference.target);
    if (reference.many) {
      const chosen = new Set(Array.isArray(value) ? value : []);
      return el(
        'select',
        { id, name: field.name, multiple: true, size: Math.min(6, Math.max(2, options.length)) },
        ...options.map((o) => el('option', { value: o.id, selected: chosen.has(o.id) }, o.label)),
      );
    }
    return el(
      'select',
      { id, name: field.name },
      el('option', { value: '' }, field.required ? '— choose —' : '(none)'),
      ...options.map((o) => el('option', { value: o.id, selected: o.id === value }, o.label)),
    );
  }
  if (choices !== undefined) {
    const current = value ?? prop.default;
    return el(
      'select',
      { id, name: field.name },
      el('option', { value: '' }, '— choose —'),
      ...choices.map((c) => el('option', { value: c, selected: c === current }, c)),
    );
  }
  if (prop.type === 'boolean') return el('input', { id, name: field.name, type: 'checkbox', checked: (value ?? prop.default) === true });
  if (prop.type === 'integer' || prop.type === 'number')
    return el('input', { id, name: field.name, type: 'number', value: value ?? prop.default });
  if (prop.type === 'array') return el('input', { id, name: field.name, value: Array.isArray(value) ? value.join(', ') : '' });
  return el('input', { id, name: field.name, value: value ?? '', maxlength: prop.maxLength });
}

/** The body value of one input, or undefined to leave the field out. */
function valueOf(field, input) {
  const { prop } = field;
  if (input instanceof HTMLSelectElement && input.multiple) return [...input.selectedOptions].map((o) => o.value);
  if (input.type === 'checkbox') return input.checked;
  const raw = input.value.trim();
  if (raw === '') return undefined;
  if (prop.type === 'integer' || prop.type === 'number') return Number(raw);
  if (prop.type === 'array')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return raw;
}

async function renderForm(root, collection, collections, id) {
  const existing = id === undefined ? undefined : await api('GET', `/api/v1/${collection.name}/${encodeURIComponent(id)}`);
  const status = statusLine('form-status');
  const fields = formFields(collection).filter((f) => !(existing !== undefined && f.name === 'id'));
  const referenceOf = (name) => collection.references.find((r) => r.field === name);
  const rows = [];
  /** @type {Map<string, { input: HTMLInputElement | HTMLSelectElement, error: HTMLElement }>} */
  const inputs = new Map();
  for (const field of fields) {
    const input = await inputFor(field, referenceOf(field.name), existing?.[field.name]);
    const error = el('span', { class: 'field-error', id: `error-${field.name}` });
    const hint = field.prop.description ? el('span', { class: 'hint', id: `hint-${field.name}` }, field.prop.description) : null;
    input.setAttribute('aria-describedby', [hint ? `hint-${field.name}` : '', `error-${field.name}`].join(' ').trim());
    const reference = referenceOf(field.name);
    const target = reference && collections.find((c) => c.name === reference.target);
    const name = target ? humanize(reference.many ? target.plural : target.singular) : humanize(field.name);
    const label = `${name}${field.required ? ' (required)' : ''}`;
    rows.push(el('div', { class: 'field' }, el('label', { for: input.id }, label), input, hint, error));
    inputs.set(field.name, { input, error });
  }
  const title = existing === undefined ? `New ${collection.singular}` : `Edit ${collection.singular} ${text(existing.name ?? existing.id)}`;
  const form = el(
    'form',
    { class: 'entity', novalidate: true, 'aria-labelledby': 'form-title' },
    el('h2', { id: 'form-title' }, title),
    ...rows,
    el('p', {}, el('button', { type: 'submit' }, 'Save'), ' ', el('a', { href: `#/domain/${collection.name}` }, 'Cancel')),
    status.node,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {};
    for (const field of fields) {
      const { input, error } = /** @type {{ input: any, error: HTMLElement }} */ (inputs.get(field.name));
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      const value = valueOf(field, input);
      if (value !== undefined) body[field.name] = value;
    }
    try {
      const saved =
        existing === undefined
          ? await api('POST', `/api/v1/${collection.name}`, body)
          : await api('PUT', `/api/v1/${collection.name}/${encodeURIComponent(existing.id)}`, body);
      location.hash = `#/domain/${collection.name}`;
      document.dispatchEvent(
        new CustomEvent('console-notice', { detail: `Saved ${collection.singular} ${text(saved.name ?? saved.id)}.` }),
      );
    } catch (error) {
      showErrors(error, inputs, status);
    }
  });
  root.append(form);
}

/** The API's messages at their fields (details name `body.<field>`); the rest in the status line. */
export function showErrors(error, inputs, status) {
  const unplaced = [];
  let first;
  for (const detail of error instanceof ApiError ? error.details : []) {
    const name = /^body[./]([^./[]+)/.exec(detail.path)?.[1];
    const slot = name === undefined ? undefined : inputs.get(name);
    if (slot === undefined) {
      unplaced.push(detail.message);
      continue;
    }
    slot.error.textContent = slot.error.textContent === '' ? detail.message : `${slot.error.textContent}; ${detail.message}`;
    slot.input.setAttribute('aria-invalid', 'true');
    first ??= slot.input;
  }
  status.show([error.message, ...unplaced].join(' '), 'error');
  first?.focus();
}
