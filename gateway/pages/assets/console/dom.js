// Building the page: elements only through createElement and textContent — never innerHTML —
// so every server string shows as the characters it is.

/**
 * el('button', { type: 'button', onclick: fn, class: 'x' }, 'Save')
 * Props: `on…` functions become listeners, `text` sets textContent, booleans toggle the
 * attribute, everything else is an attribute. Children: nodes or strings (as text).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined | false)} children
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'text') node.textContent = String(value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** "serverGroupIds" → "Server group ids" */
export function humanize(key) {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Any value as display text (lists joined, objects as JSON). */
export function text(value) {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(text).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A table: columns are { label, cell(row) → Node | string }.
 * @param {string} caption
 * @param {Array<{ label: string, cell: (row: any) => Node | string }>} columns
 * @param {any[]} rows
 */
export function table(caption, columns, rows) {
  const head = el('tr', {}, ...columns.map((c) => el('th', { scope: 'col' }, c.label)));
  const body = rows.map((row) => el('tr', {}, ...columns.map((c) => el('td', {}, c.cell(row)))));
  return el('table', {}, el('caption', {}, caption), el('thead', {}, head), el('tbody', {}, ...body));
}

/** A definition list of label → value pairs. */
export function facts(pairs) {
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, text(value))]));
}

/** A status line inside a page (role=status so screen readers hear it). */
export function statusLine(id) {
  const line = el('p', { id, role: 'status', class: 'status' });
  return {
    node: line,
    /** @param {string} message @param {'info' | 'error'} [kind] */
    show(message, kind = 'info') {
      line.textContent = message;
      line.dataset.kind = kind;
    },
  };
}

/** How long ago an ISO time was, e.g. "3 h 5 min". */
export function since(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${seconds % 60} s`;
  return `${seconds} s`;
}

/**
 * A labelled form row: the label, the input (it needs an id) and an optional hint that
 * describes it.
 * @param {string} label
 * @param {HTMLElement} input
 * @param {string} [hint]
 */
export function field(label, input, hint) {
  const note = hint === undefined ? null : el('span', { class: 'hint', id: `${input.id}-hint` }, hint);
  if (note !== null) input.setAttribute('aria-describedby', note.id);
  return el('div', { class: 'field' }, el('label', { for: input.id }, label), input, note);
}

/** A section named by its heading (`id` is the heading's). */
export function section(id, title, ...children) {
  return el('section', { 'aria-labelledby': id }, el('h2', { id }, title), ...children);
}
