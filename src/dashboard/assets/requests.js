// The recent-requests table, its filters, and the detail panel.

import { getJson } from './api.js';
import { byId, count, el, millis, usd, utcTime } from './dom.js';

const FILTERS = ['module', 'user', 'model', 'status'];

/** Set by initRequests: where a failed detail load goes (e.g. the key prompt). */
let reportError = (error) => {
  throw error;
};

function openDetail(id) {
  showDetail(id).catch((error) => reportError(error));
}

function filterForm() {
  return byId('filters');
}

/** The current filter values (empty means all). */
export function currentFilters() {
  const form = filterForm();
  const values = {};
  for (const name of FILTERS) values[name] = form.elements.namedItem(name).value;
  return values;
}

/** Refills the module/user/model menus, keeping the current choice even if it left the period. */
export function updateFilterOptions(values) {
  const form = filterForm();
  for (const name of ['module', 'user', 'model']) {
    const select = form.elements.namedItem(name);
    const chosen = select.value;
    const names = [...(values[name] ?? [])];
    if (chosen && !names.includes(chosen)) names.unshift(chosen);
    const key = JSON.stringify(names);
    if (select.dataset.options === key) continue;
    select.dataset.options = key;
    select.replaceChildren(
      el('option', { text: 'all', attrs: { value: '' } }),
      ...names.map((value) => {
        const option = el('option', { text: value });
        option.value = value;
        return option;
      }),
    );
    select.value = chosen;
  }
}

function statusCell(row) {
  const text = row.httpStatus ? `${row.status} (${row.httpStatus})` : row.status;
  return el('td', { className: `status status-${row.status}`, text, title: row.errorCode ?? '' });
}

export async function refreshRequests(range) {
  const data = await getJson('requests', { range, limit: 50, ...currentFilters() });
  const rows = data.rows.map((row) =>
    el(
      'tr',
      {
        data: { id: row.id },
        attrs: { tabindex: 0 },
        on: {
          click: () => openDetail(row.id),
          keydown: (event) => event.key === 'Enter' && openDetail(row.id),
        },
      },
      el('td', { text: utcTime(row.createdAt) }),
      el('td', { className: 'module', text: row.module }),
      el('td', { text: row.user ?? '—' }),
      el('td', { text: row.model }),
      el('td', { text: row.provider ?? '—' }),
      statusCell(row),
      el('td', { className: 'num cost', text: usd(row.costUsd) }),
      el('td', { className: 'num', text: millis(row.latencyMs) }),
      el('td', { className: 'num', text: `${count(row.promptTokens)} / ${count(row.completionTokens)}` }),
    ),
  );
  const body = byId('requests').tBodies[0];
  body.replaceChildren(...rows);
  byId('requests-empty').hidden = rows.length > 0;
}

const DETAIL_FIELDS = [
  ['id', 'Id'],
  ['generationId', 'Generation'],
  ['module', 'Module'],
  ['userId', 'User'],
  ['keyId', 'Key'],
  ['modelRequested', 'Model requested'],
  ['model', 'Model served'],
  ['provider', 'Provider'],
  ['status', 'Status'],
  ['httpStatus', 'HTTP status'],
  ['errorCode', 'Error code'],
  ['errorMessage', 'Error detail'],
  ['finishReason', 'Finish reason'],
  ['cost', 'Cost (USD)'],
  ['costSource', 'Cost source'],
  ['estimatedCost', 'Estimate (USD)'],
  ['promptTokens', 'Prompt tokens'],
  ['completionTokens', 'Completion tokens'],
  ['reasoningTokens', 'Reasoning tokens'],
  ['cachedTokens', 'Cached tokens'],
  ['latencyMs', 'Latency (ms)'],
  ['ttftMs', 'First token (ms)'],
  ['streamed', 'Streamed'],
  ['attempts', 'Attempts'],
];

/** Shows one request; its prompt only if bodies were stored (they are opt-in). */
export async function showDetail(id) {
  const detail = await getJson(`requests/${encodeURIComponent(id)}`);
  const row = detail.request;
  const fields = [el('dt', { text: 'Created' }), el('dd', { text: `${utcTime(row.createdAt)} UTC` })];
  for (const [name, label] of DETAIL_FIELDS) {
    const value = row[name];
    if (value === null || value === undefined) continue;
    fields.push(
      el('dt', { text: label }),
      el('dd', { text: typeof value === 'object' ? JSON.stringify(value) : String(value) }),
    );
  }
  if (row.tags) fields.push(el('dt', { text: 'Tags' }), el('dd', { text: JSON.stringify(row.tags) }));
  byId('detail-fields').replaceChildren(...fields);
  const prompt = byId('detail-prompt');
  const response = byId('detail-response');
  const note = byId('detail-prompt-note');
  prompt.hidden = detail.bodies.request === null;
  prompt.textContent = detail.bodies.request ?? '';
  response.hidden = detail.bodies.response === null;
  byId('detail-response-title').hidden = detail.bodies.response === null;
  response.textContent = detail.bodies.response ?? '';
  note.textContent = detail.bodies.stored
    ? detail.bodies.truncated
      ? 'Shown in part (long body).'
      : ''
    : 'Prompt not stored: bodies are kept only when body logging is turned on.';
  const panel = byId('detail');
  panel.dataset.id = id;
  panel.hidden = false;
}

export function initRequests(onChange, onError) {
  reportError = onError;
  filterForm().addEventListener('change', onChange);
  filterForm().addEventListener('submit', (event) => event.preventDefault());
  byId('detail-close').addEventListener('click', () => {
    byId('detail').hidden = true;
  });
}
