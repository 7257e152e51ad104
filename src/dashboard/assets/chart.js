// Spend over time as stacked bars, drawn by uPlot (loaded from /dashboard/assets/uplot.js).

import { byId, el, groupLabel, OTHER_COLOR, PALETTE, usd } from './dom.js';

let plot = null;
let shape = '';
let current = null;

function colorOf(series, index) {
  return series.other ? OTHER_COLOR : PALETTE[index % PALETTE.length];
}

/**
 * uPlot has no stacking of its own: each series is drawn as the running total of itself and the
 * ones before it, largest first, so every later (shorter) bar covers the bottom of the previous.
 */
function stackedData(data) {
  const xs = data.buckets.map((ms) => ms / 1000);
  const running = data.buckets.map(() => 0);
  const cumulative = data.series.map((series) =>
    series.values.map((value, index) => {
      running[index] += Number(value);
      return running[index];
    }),
  );
  return [xs, ...cumulative.reverse()];
}

/** One tick per bucket, thinned to what fits: day charts label days, hour charts label hours. */
function bucketSplits(u) {
  const xs = u.data[0];
  const every = Math.max(
    1,
    Math.ceil(xs.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 64))),
  );
  return xs.filter((_, index) => (xs.length - 1 - index) % every === 0);
}

function bucketLabel(bucket, seconds) {
  const iso = new Date(seconds * 1000).toISOString();
  return bucket === 'hour' ? iso.slice(11, 16) : iso.slice(5, 10);
}

/** Under the chart, as text: the hovered bucket's total and its groups. */
function showHover(u) {
  const hover = byId('chart-hover');
  const index = u.cursor.idx;
  if (!current || index === null || index === undefined) {
    hover.textContent = 'Hover over a bar for its amounts.';
    return;
  }
  const start = current.buckets[index];
  const parts = current.series
    .filter((item) => Number(item.values[index]) > 0)
    .map((item) => `${groupLabel(item.name, item.other)} ${usd(item.values[index])}`);
  const when = new Date(start)
    .toISOString()
    .replace('T', ' ')
    .slice(0, current.bucket === 'hour' ? 16 : 10);
  hover.textContent = `${when} UTC: ${parts.length > 0 ? parts.join(' · ') : 'no spend'}`;
}

function options(data, width) {
  const uPlot = window.uPlot;
  const step = data.bucket === 'hour' ? 3600 : 86400;
  const series = [...data.series]
    .map((item, index) => ({ item, index }))
    .reverse()
    .map(({ item, index }) => ({
      label: groupLabel(item.name, item.other),
      stroke: colorOf(item, index),
      fill: colorOf(item, index),
      width: 0,
      points: { show: false },
      paths: uPlot.paths.bars({ size: [0.8, 80], align: 0 }),
    }));
  return {
    width,
    height: 260,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { splits: bucketSplits, values: (_u, ticks) => ticks.map((tick) => bucketLabel(data.bucket, tick)) },
      { size: 70, values: (_u, ticks) => ticks.map((tick) => `$${+tick.toPrecision(4)}`) },
    ],
    hooks: { setCursor: [showHover] },
    series: [{}, ...series],
  };
}

/** Draws (or updates) the chart and its legend: one line per series with its exact total. */
export function drawSpendChart(data) {
  const container = byId('chart');
  if (!window.uPlot) throw new Error('uPlot did not load (/dashboard/assets/uplot.js).');
  current = data;
  const nextShape = JSON.stringify([data.bucket, data.series.map((item) => [item.name, item.other])]);
  const width = Math.max(320, container.clientWidth);
  if (plot && shape === nextShape) {
    plot.setData(stackedData(data));
  } else {
    plot?.destroy();
    plot = new window.uPlot(options(data, width), stackedData(data), container);
    shape = nextShape;
  }
  drawLegend(data);
  showHover(plot);
}

function drawLegend(data) {
  const legend = byId('legend');
  const items = data.series.map((item, index) => {
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = colorOf(item, index);
    return el(
      'li',
      { data: { series: groupLabel(item.name, item.other) } },
      swatch,
      el('span', { className: 'series-name', text: groupLabel(item.name, item.other) }),
      el('span', { className: 'series-total', text: usd(item.totalUsd) }),
    );
  });
  if (items.length === 0) items.push(el('li', { className: 'muted', text: 'No spend in this period.' }));
  legend.replaceChildren(...items);
}

/** Keeps the chart as wide as its panel. */
export function resizeChart() {
  if (!plot) return;
  const width = Math.max(320, byId('chart').clientWidth);
  if (width !== plot.width) plot.setSize({ width, height: plot.height });
}
