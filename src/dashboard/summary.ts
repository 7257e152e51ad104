import { type Ledger, REQUEST_STATUSES, type RequestStatus } from '../ledger/index.ts';
import { moneyToUsdString } from '../shared/money.ts';
import { percentile } from './percentiles.ts';
import type { Period } from './period.ts';
import { rangeOf, type SpendDimension } from './spend-series.ts';

/** Latency percentiles are computed over at most this many of the period's latest rows. */
export const LATENCY_SAMPLE = 1000;

export interface Summary {
  period: Period;
  totals: {
    /** Finished requests (pending ones are in `statuses`). */
    requests: number;
    errors: number;
    /** errors / requests; null when there were none. */
    errorRate: number | null;
    spendUsd: string;
    estimatedSpendUsd: string;
    unknownCostCount: number;
    promptTokens: number;
    completionTokens: number;
    avgLatencyMs: number | null;
  };
  statuses: Array<{ status: RequestStatus; requests: number }>;
  latency: {
    p50Ms: number | null;
    p95Ms: number | null;
    /** How many rows with a latency the percentiles were taken over. */
    sampleSize: number;
    /** False when the period holds more rows than the sample: the figures describe the latest ones. */
    complete: boolean;
  };
}

/**
 * Totals, status breakdown and latency percentiles for a period. The ledger has no percentile
 * query, so p50/p95 come from the period's latest rows (`reports.recent`, at most 1000).
 */
export async function summarize(ledger: Ledger, period: Period): Promise<Summary> {
  const range = rangeOf(period);
  const [totalReport, statusReports, recent] = await Promise.all([
    ledger.reports.spend({ ...range }),
    Promise.all(
      REQUEST_STATUSES.map(async (status) => ({
        status,
        requests: (await ledger.reports.spend({ ...range, filters: { status } })).rows[0]?.requests ?? 0,
      })),
    ),
    ledger.reports.recent({ ...range, limit: LATENCY_SAMPLE }),
  ]);
  const total = totalReport.rows[0];
  const latencies = recent
    .filter((row) => row.status !== 'pending' && row.latencyMs !== null)
    .map((row) => row.latencyMs as number);
  const requests = total?.requests ?? 0;
  const errors = total?.errors ?? 0;
  return {
    period,
    totals: {
      requests,
      errors,
      errorRate: requests === 0 ? null : errors / requests,
      spendUsd: moneyToUsdString(total?.spend ?? 0n),
      estimatedSpendUsd: moneyToUsdString(total?.estimatedSpend ?? 0n),
      unknownCostCount: total?.unknownCostCount ?? 0,
      promptTokens: total?.promptTokens ?? 0,
      completionTokens: total?.completionTokens ?? 0,
      avgLatencyMs: total?.avgLatencyMs ?? null,
    },
    statuses: statusReports,
    latency: {
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      sampleSize: latencies.length,
      complete: recent.length < LATENCY_SAMPLE,
    },
  };
}

export interface TopRow {
  name: string | null;
  requests: number;
  errors: number;
  spendUsd: string;
  /** Share of the period's known spend, 0…1 (for the bar width; the amount itself is exact). */
  share: number;
}

/** The groups that cost the most in the period, most expensive first. */
export async function topBySpend(
  ledger: Ledger,
  input: { period: Period; by: SpendDimension; limit: number },
): Promise<{ period: Period; by: SpendDimension; rows: TopRow[]; totalUsd: string }> {
  const report = await ledger.reports.spend({ groupBy: [input.by], ...rangeOf(input.period) });
  const total = report.rows.reduce((sum, row) => sum + row.spend, 0n);
  const rows = [...report.rows]
    .sort((a, b) => (a.spend === b.spend ? b.requests - a.requests : a.spend > b.spend ? -1 : 1))
    .slice(0, input.limit)
    .map((row) => ({
      name: row.group[input.by] ?? null,
      requests: row.requests,
      errors: row.errors,
      spendUsd: row.spendUsd,
      // Ratio of bigints without losing the small ones: scale to parts per million first.
      share: total === 0n ? 0 : Number((row.spend * 1_000_000n) / total) / 1_000_000,
    }));
  return { period: input.period, by: input.by, rows, totalUsd: moneyToUsdString(total) };
}

/** The distinct values seen in the period, for the page's filter menus. */
export async function dimensionValues(
  ledger: Ledger,
  period: Period,
): Promise<Record<SpendDimension, string[]>> {
  const dims: SpendDimension[] = ['module', 'user', 'model', 'provider'];
  const lists = await Promise.all(
    dims.map(async (dim) => {
      const report = await ledger.reports.spend({ groupBy: [dim], ...rangeOf(period) });
      return report.rows
        .map((row) => row.group[dim])
        .filter((value): value is string => typeof value === 'string')
        .sort()
        .slice(0, 500);
    }),
  );
  return { module: lists[0] ?? [], user: lists[1] ?? [], model: lists[2] ?? [], provider: lists[3] ?? [] };
}
