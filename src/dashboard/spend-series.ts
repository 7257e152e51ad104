import type { Ledger, ReportRange, ReportRow } from '../ledger/index.ts';
import { type Money, moneyToUsdString } from '../shared/money.ts';
import { type Bucket, bucketStarts, HOUR_MS, type Period } from './period.ts';
import type { SPEND_DIMENSIONS } from './query-schemas.ts';

export type SpendDimension = (typeof SPEND_DIMENSIONS)[number];

/** The chart stacks at most this many series; the rest are folded into one "other" series. */
export const MAX_SERIES = 8;

export interface SpendSeries {
  /** The group's value; null when the rows have none (no user, no provider yet). */
  name: string | null;
  /** True for the series that folds the smaller groups together (its name is null). */
  other: boolean;
  totalUsd: string;
  /** Exact USD per bucket, aligned with `buckets`. */
  values: string[];
}

export interface SpendOverTime {
  period: Period;
  groupBy: SpendDimension;
  bucket: Bucket;
  /** Bucket starts, epoch ms (UTC hours or UTC days). */
  buckets: number[];
  series: SpendSeries[];
  totalUsd: string;
  requests: number;
}

export function rangeOf(period: Period): ReportRange {
  return period.until === null ? { since: period.since } : { since: period.since, until: period.until };
}

interface Cell {
  name: string | null;
  bucket: number;
  spend: Money;
  requests: number;
}

/** Exact sums: money stays bigint until it leaves as a decimal string. */
function fold(cells: readonly Cell[], buckets: readonly number[]): SpendSeries[] {
  const index = new Map(buckets.map((start, position) => [start, position]));
  const byName = new Map<string | null, { total: Money; values: Money[] }>();
  for (const cell of cells) {
    const position = index.get(cell.bucket);
    if (position === undefined) continue;
    let entry = byName.get(cell.name);
    if (!entry) {
      entry = { total: 0n, values: buckets.map(() => 0n) };
      byName.set(cell.name, entry);
    }
    entry.total += cell.spend;
    entry.values[position] = (entry.values[position] ?? 0n) + cell.spend;
  }
  const ranked = [...byName.entries()].sort(([nameA, a], [nameB, b]) =>
    a.total === b.total ? String(nameA).localeCompare(String(nameB)) : a.total > b.total ? -1 : 1,
  );
  const kept = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked;
  const folded = ranked.slice(kept.length);
  const series: SpendSeries[] = kept.map(([name, entry]) => ({
    name,
    other: false,
    totalUsd: moneyToUsdString(entry.total),
    values: entry.values.map(moneyToUsdString),
  }));
  if (folded.length > 0) {
    const values = buckets.map((_, position) =>
      folded.reduce((sum, [, entry]) => sum + (entry.values[position] ?? 0n), 0n),
    );
    const total = folded.reduce((sum, [, entry]) => sum + entry.total, 0n);
    series.push({
      name: null,
      other: true,
      totalUsd: moneyToUsdString(total),
      values: values.map(moneyToUsdString),
    });
  }
  return series;
}

function cellsOf(rows: readonly ReportRow[], dim: SpendDimension, bucketOf: (row: ReportRow) => number) {
  return rows.map(
    (row): Cell => ({
      name: row.group[dim] ?? null,
      bucket: bucketOf(row),
      spend: row.spend,
      requests: row.requests,
    }),
  );
}

/**
 * Spend per bucket per group. Days come from one grouped report (the rollup serves whole days);
 * hours from one report per hour, because the ledger has no hour dimension (a short range only).
 */
export async function spendOverTime(
  ledger: Ledger,
  input: { period: Period; groupBy: SpendDimension; bucket: Bucket; now: number },
): Promise<SpendOverTime> {
  const { period, groupBy, bucket } = input;
  const buckets = bucketStarts(period, bucket, input.now);
  let cells: Cell[];
  if (bucket === 'day') {
    const report = await ledger.reports.spend({ groupBy: ['day', groupBy], ...rangeOf(period) });
    cells = cellsOf(report.rows, groupBy, (row) => Date.parse(`${row.group.day ?? ''}T00:00:00Z`));
  } else {
    const reports = await Promise.all(
      buckets.map(async (start) => {
        const since = Math.max(start, period.since);
        const end = start + HOUR_MS;
        const until = period.until === null ? end : Math.min(end, period.until);
        const report = await ledger.reports.spend({ groupBy: [groupBy], since, until });
        return cellsOf(report.rows, groupBy, () => start);
      }),
    );
    cells = reports.flat();
    if (period.until === null) {
      const afterLast = (buckets.at(-1) ?? period.since) + HOUR_MS;
      const late = await ledger.reports.spend({ groupBy: [groupBy], since: afterLast });
      cells.push(...cellsOf(late.rows, groupBy, () => afterLast));
    }
  }
  const lastBucket = buckets.at(-1) ?? period.since;
  // In an open-ended period, rows stamped after today (clock skew, imports) are drawn in the last
  // bucket rather than lost, so the chart always adds up to the period's total.
  for (const cell of cells) if (cell.bucket > lastBucket) cell.bucket = lastBucket;
  const series = fold(cells, buckets);
  const total = cells.reduce((sum, cell) => sum + cell.spend, 0n);
  const requests = cells.reduce((sum, cell) => sum + cell.requests, 0);
  return {
    period,
    groupBy,
    bucket,
    buckets,
    series,
    totalUsd: moneyToUsdString(total),
    requests,
  };
}
