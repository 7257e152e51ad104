// The summary cards, rankings, status breakdown, budget bars and drift table.

import { byId, count, el, groupLabel, millis, percent, setText, usd, utcTime } from './dom.js';

export function renderSummary(summary) {
  const { totals, latency, period } = summary;
  const periodNode = byId('period');
  periodNode.textContent = `Since ${utcTime(period.since)} UTC${period.until === null ? '' : ` until ${utcTime(period.until)} UTC`}`;
  periodNode.dataset.since = String(period.since);
  periodNode.dataset.until = period.until === null ? '' : String(period.until);
  setText('total-spend', usd(totals.spendUsd));
  setText('total-estimated', `estimated ${usd(totals.estimatedSpendUsd)}`);
  setText('total-requests', count(totals.requests));
  setText('total-tokens', `${count(totals.promptTokens)} in · ${count(totals.completionTokens)} out tokens`);
  setText('error-rate', percent(totals.errorRate));
  setText('error-count', `${count(totals.errors)} errors`);
  setText('latency-p50', millis(latency.p50Ms));
  setText('latency-p95', millis(latency.p95Ms));
  setText(
    'latency-sample',
    latency.complete
      ? `${count(latency.sampleSize)} requests`
      : `latest ${count(latency.sampleSize)} requests`,
  );
  setText('latency-avg', `average ${millis(totals.avgLatencyMs)}`);
  setText('unknown-cost', count(totals.unknownCostCount));
  renderStatuses(summary);
}

function bar(ratio, className = 'fill') {
  const fill = el('span', { className });
  fill.style.width = `${Math.min(100, Math.max(0, ratio * 100)).toFixed(2)}%`;
  return el('span', { className: 'track' }, fill);
}

/** A ranking: name, share bar, exact amount, request count. */
export function renderTop(listId, top) {
  const rows = top.rows.map((row) =>
    el(
      'li',
      { data: { name: groupLabel(row.name) } },
      el('span', { className: 'name', text: groupLabel(row.name), title: groupLabel(row.name) }),
      bar(row.share),
      el('span', { className: 'amount', text: usd(row.spendUsd) }),
      el('span', { className: 'muted small', text: `${count(row.requests)} req` }),
    ),
  );
  if (rows.length === 0) rows.push(el('li', { className: 'muted', text: 'No spend in this period.' }));
  byId(listId).replaceChildren(...rows);
}

function renderStatuses(summary) {
  const all = summary.statuses.reduce((sum, item) => sum + item.requests, 0);
  const rows = summary.statuses
    .filter((item) => item.requests > 0)
    .map((item) =>
      el(
        'li',
        { className: `status-${item.status}`, data: { status: item.status } },
        el('span', { className: 'name', text: item.status }),
        bar(all === 0 ? 0 : item.requests / all),
        el('span', { className: 'amount', text: count(item.requests) }),
        el('span', { className: 'muted small', text: percent(all === 0 ? null : item.requests / all) }),
      ),
    );
  if (rows.length === 0) rows.push(el('li', { className: 'muted', text: 'No requests in this period.' }));
  byId('statuses').replaceChildren(...rows);
}

/** Each budget: spent and reserved as two segments of one bar against the limit. */
export function renderBudgets(data) {
  const rows = data.budgets.map((budget) => {
    const spent = el('span', { className: 'fill spent' });
    spent.style.width = `${Math.min(100, budget.spentRatio * 100).toFixed(2)}%`;
    const reserved = el('span', { className: 'fill reserved' });
    reserved.style.width = `${Math.min(100 - Math.min(100, budget.spentRatio * 100), budget.reservedRatio * 100).toFixed(2)}%`;
    const over = budget.spentRatio + budget.reservedRatio >= 1;
    const scope = budget.scope === 'global' ? 'global' : `${budget.scope} ${budget.scopeValue}`;
    return el(
      'li',
      { className: over ? 'over' : '', data: { budget: budget.id } },
      el(
        'div',
        { className: 'budget-head' },
        el('span', { className: 'name', text: scope }),
        el('span', { className: 'muted small', text: `per ${budget.window}` }),
      ),
      el('span', { className: 'track stacked' }, spent, reserved),
      el('div', {
        className: 'small',
        text: `${usd(budget.spentUsd)} spent + ${usd(budget.reservedUsd)} reserved of ${usd(budget.limitUsd)} (${usd(budget.remainingUsd)} left)`,
      }),
    );
  });
  if (rows.length === 0)
    rows.push(el('li', { className: 'muted', text: 'No budgets set (tollgate budgets set …).' }));
  byId('budgets').replaceChildren(...rows);
}

export function renderDrift(drift) {
  const table = byId('drift');
  const cells = (row, name) => [
    el('td', { text: name }),
    el('td', { className: 'num', text: count(row.requests) }),
    el('td', { className: 'num', text: usd(row.estimatedUsd) }),
    el('td', { className: 'num', text: usd(row.billedUsd) }),
    el('td', { className: 'num', text: usd(row.driftUsd) }),
    el('td', { className: 'num', text: row.driftRatio === null ? '—' : percent(row.driftRatio, 2) }),
  ];
  const body = drift.models.map((row) => el('tr', {}, ...cells(row, row.model)));
  if (body.length === 0) {
    body.push(
      el(
        'tr',
        {},
        el('td', {
          className: 'muted',
          text: 'No requests with both an estimate and a bill.',
          attrs: { colspan: 6 },
        }),
      ),
    );
  }
  table.tBodies[0].replaceChildren(...body);
  table.tFoot.replaceChildren(el('tr', {}, ...cells(drift.total, 'All models')));
}
