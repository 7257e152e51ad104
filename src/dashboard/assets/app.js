// The dashboard's entry: reads every panel's data, redraws, and polls while the tab is visible.

import { AuthError, forgetKey, getJson, storedKey, storeKey } from './api.js';
import { drawSpendChart, resizeChart } from './chart.js';
import { byId } from './dom.js';
import { renderBudgets, renderDrift, renderSummary, renderTop } from './panels.js';
import { initRequests, refreshRequests, updateFilterOptions } from './requests.js';

const POLL_MS = 5000;

let timer = null;
let running = null;
let locked = false;

function settings() {
  return { range: byId('range').value, groupBy: byId('group-by').value, bucket: byId('bucket').value };
}

function showAuth(error) {
  locked = true;
  stopPolling();
  byId('dashboard').hidden = true;
  byId('detail').hidden = true;
  byId('loading').hidden = true;
  byId('auth').hidden = false;
  const hadKey = storedKey() !== null;
  byId('auth-message').textContent = !hadKey
    ? 'This gateway has keys configured: enter the tollgate admin key to see its spend.'
    : error.status === 403
      ? 'That key is not the admin key (a gateway key cannot open the dashboard). Enter the admin key.'
      : 'That key was not accepted. Enter the tollgate admin key.';
  byId('forget-key').hidden = true;
  byId('admin-key').focus();
}

function showError(error) {
  const banner = byId('error-banner');
  banner.textContent = `Could not refresh: ${error.message}`;
  banner.hidden = false;
}

function handleError(error) {
  if (error instanceof AuthError) showAuth(error);
  else showError(error);
}

async function loadAll() {
  const { range, groupBy, bucket } = settings();
  const [summary, series, models, users, budgets, drift, dimensions] = await Promise.all([
    getJson('summary', { range }),
    getJson('spend-over-time', { range, groupBy, bucket }),
    getJson('top', { range, by: 'model' }),
    getJson('top', { range, by: 'user' }),
    getJson('budgets'),
    getJson('drift', { range }),
    getJson('dimensions', { range }),
  ]);
  updateFilterOptions(dimensions.values);
  await refreshRequests(range);
  // Shown before drawing, so the chart is measured at its real width.
  byId('dashboard').hidden = false;
  renderSummary(summary);
  drawSpendChart(series);
  renderTop('top-models', models);
  renderTop('top-users', users);
  renderBudgets(budgets);
  renderDrift(drift);
}

/** One refresh at a time; a refresh asked for while one runs follows it. */
function refresh() {
  if (running) return running.then(refresh);
  running = (async () => {
    try {
      await loadAll();
      locked = false;
      byId('auth').hidden = true;
      byId('loading').hidden = true;
      byId('error-banner').hidden = true;
      byId('forget-key').hidden = storedKey() === null;
      byId('updated').textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
      byId('dashboard').dataset.refreshedAt = String(Date.now());
    } catch (error) {
      handleError(error);
    } finally {
      running = null;
      schedule();
    }
  })();
  return running;
}

function stopPolling() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

function schedule() {
  stopPolling();
  if (locked || !byId('live').checked || document.visibilityState === 'hidden') return;
  timer = setTimeout(refresh, POLL_MS);
}

function start() {
  byId('auth-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('admin-key');
    const key = input.value.trim();
    if (!key) return;
    storeKey(key);
    input.value = '';
    refresh();
  });
  byId('forget-key').addEventListener('click', () => {
    forgetKey();
    window.location.reload();
  });
  for (const id of ['range', 'group-by', 'bucket']) byId(id).addEventListener('change', refresh);
  byId('live').addEventListener('change', schedule);
  document.addEventListener('visibilitychange', () =>
    document.visibilityState === 'visible' ? refresh() : stopPolling(),
  );
  window.addEventListener('resize', resizeChart);
  initRequests(() => {
    refreshRequests(settings().range).catch(handleError);
  }, handleError);
  refresh();
}

start();
