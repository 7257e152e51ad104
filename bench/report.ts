import { cpus, loadavg, totalmem } from 'node:os';
import { round } from './stats.ts';

/**
 * What the bench prints and writes. It asserts nothing: `met` says whether a figure reached the
 * issue's target in this run, on this machine, and the exit code stays 0 either way.
 */

export interface Metric {
  section: string;
  name: string;
  unit: string;
  /** tollgate's figure (or the only figure, for ledger and start-up rows). */
  gateway: number | null;
  /** The pass-through baseline's figure, where there is one. */
  baseline: number | null;
  /** gateway / baseline ('ratio') or gateway − baseline ('delta'). */
  comparison: { kind: 'ratio' | 'delta'; value: number } | null;
  /** The target in words, e.g. "≤ 0.3 ms", "≥ 80%". */
  target: string;
  met: boolean | null;
  note?: string;
}

export interface Environment {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  loadAverage: [number, number, number];
}

export function environment(): Environment {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30),
    loadAverage: [round(one), round(five), round(fifteen)],
  };
}

function show(value: number | null, unit = ''): string {
  if (value === null || Number.isNaN(value)) return '–';
  const rounded = round(value);
  return unit ? `${rounded} ${unit}` : String(rounded);
}

function comparison(metric: Metric): string {
  const c = metric.comparison;
  if (!c || Number.isNaN(c.value)) return '–';
  if (c.kind === 'ratio') return `${round(c.value * 100)}%`;
  return `${c.value >= 0 ? '+' : ''}${round(c.value)} ${metric.unit}`;
}

/** The table: metric, gateway, baseline, ratio/delta, target, met? */
export function formatTable(metrics: readonly Metric[]): string {
  const header = ['metric', 'gateway', 'baseline', 'ratio/delta', 'target', 'met?'];
  const rows = metrics.map((m) => [
    `${m.section}: ${m.name}`,
    show(m.gateway, m.unit),
    show(m.baseline, m.unit),
    comparison(m),
    m.target,
    m.met === null ? '–' : m.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  const notes = metrics
    .filter((m) => m.note)
    .map((m) => `  - ${m.section}: ${m.name}: ${m.note}`)
    .join('\n');
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(notes ? ['', 'notes:', notes] : []),
  ].join('\n');
}

export function formatEnvironment(env: Environment): string {
  return (
    `node ${env.node} on ${env.platform}, ${env.cpus} cores (${env.cpuModel}), ${env.memoryGb} GB, ` +
    `load average ${env.loadAverage.join(' / ')}`
  );
}

/** Builds a gateway-vs-baseline row. */
export function compared(
  base: Pick<Metric, 'section' | 'name' | 'unit' | 'target'> & { note?: string },
  gateway: number,
  baseline: number,
  kind: 'ratio' | 'delta',
  met: ((value: number) => boolean) | null,
  value = kind === 'ratio' ? gateway / baseline : gateway - baseline,
): Metric {
  return {
    ...base,
    gateway: round(gateway),
    baseline: round(baseline),
    comparison: { kind, value: kind === 'ratio' ? Math.round(value * 1000) / 1000 : round(value) },
    met: met !== null && Number.isFinite(value) ? met(value) : null,
  };
}

/** Builds a row with one figure and a target. */
export function single(
  base: Pick<Metric, 'section' | 'name' | 'unit' | 'target'> & { note?: string },
  value: number | null,
  met: ((value: number) => boolean) | null,
): Metric {
  return {
    ...base,
    gateway: value === null ? null : round(value),
    baseline: null,
    comparison: null,
    met: value === null || met === null || !Number.isFinite(value) ? null : met(value),
  };
}
