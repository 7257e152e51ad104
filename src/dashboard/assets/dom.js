// DOM building without innerHTML: every value from the ledger reaches the page as text.

/**
 * el('td', { className: 'num', text: value, title, data: { id }, on: { click } }, ...children)
 * Children are nodes or strings (strings become text nodes).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  if (props.title) node.title = String(props.title);
  for (const [name, value] of Object.entries(props.data ?? {})) node.dataset[name] = String(value);
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, String(value));
  for (const [event, handler] of Object.entries(props.on ?? {})) node.addEventListener(event, handler);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page has no #${id}.`);
  return node;
}

export function setText(id, text) {
  byId(id).textContent = text === null || text === undefined ? '' : String(text);
}

/** Exact USD as the server sent it (a decimal string), with a dollar sign. */
export function usd(amount) {
  if (amount === null || amount === undefined) return '—';
  return amount.startsWith('-') ? `-$${amount.slice(1)}` : `$${amount}`;
}

export function count(value) {
  return value === null || value === undefined ? '—' : Number(value).toLocaleString('en-US');
}

export function percent(ratio, digits = 1) {
  return ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(digits)}%`;
}

export function millis(value) {
  if (value === null || value === undefined) return '—';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** Times are shown in UTC, like the ledger's days. */
export function utcTime(ms) {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A group's label: its value, "(none)" when rows had none, "other" for the folded series. */
export function groupLabel(name, other = false) {
  if (other) return 'other';
  return name === null || name === undefined ? '(none)' : name;
}

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
];
export const OTHER_COLOR = '#9c9c9c';
