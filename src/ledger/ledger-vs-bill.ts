import { type Money, moneyFromUsd, moneyToUsdString } from '../shared/money.ts';
import type { Reports } from './reports.ts';

/** One row of OpenRouter's `GET /activity` (completed UTC days; `usage` in USD). */
export interface BillDay {
  date: string;
  model?: string | null;
  usage: number | string;
  requests?: number | null;
}

/** The ledger's side: known spend per UTC day (and model). */
export interface LedgerDay {
  day: string;
  model?: string | null;
  spend: Money;
  requests: number;
}

export interface LedgerVsBillRow {
  day: string;
  model: string | null;
  ledger: Money;
  billed: Money;
  /** ledger − billed. */
  difference: Money;
  differenceUsd: string;
  ledgerRequests: number;
  billedRequests: number | null;
  status: 'match' | 'ledger_higher' | 'bill_higher';
}

export interface LedgerVsBillReport {
  rows: LedgerVsBillRow[];
  totals: { ledger: Money; billed: Money; difference: Money };
  mismatches: number;
}

interface Cell {
  day: string;
  model: string | null;
  ledger: Money;
  billed: Money;
  ledgerRequests: number;
  billedRequests: number | null;
}

/**
 * Compares the ledger's daily spend with OpenRouter's billed usage, per day (or per day and
 * model). Differences within `tolerance` (default 0: exact) count as a match. Pure.
 */
export function ledgerVsBill(
  ledger: readonly LedgerDay[],
  bill: readonly BillDay[],
  options: { byModel?: boolean; tolerance?: Money } = {},
): LedgerVsBillReport {
  const byModel = options.byModel ?? false;
  const tolerance = options.tolerance ?? 0n;
  const cells = new Map<string, Cell>();
  const cell = (day: string, model: string | null | undefined): Cell => {
    const name = byModel ? (model ?? null) : null;
    const id = `${day}\u0000${name ?? ''}`;
    let found = cells.get(id);
    if (!found) {
      found = { day, model: name, ledger: 0n, billed: 0n, ledgerRequests: 0, billedRequests: null };
      cells.set(id, found);
    }
    return found;
  };
  for (const row of ledger) {
    const target = cell(row.day, row.model);
    target.ledger += row.spend;
    target.ledgerRequests += row.requests;
  }
  for (const row of bill) {
    const target = cell(row.date.slice(0, 10), row.model);
    target.billed += moneyFromUsd(row.usage);
    if (typeof row.requests === 'number') target.billedRequests = (target.billedRequests ?? 0) + row.requests;
  }
  const rows = [...cells.values()]
    .sort((a, b) => (a.day + (a.model ?? '') < b.day + (b.model ?? '') ? -1 : 1))
    .map((entry): LedgerVsBillRow => {
      const difference = entry.ledger - entry.billed;
      const magnitude = difference < 0n ? -difference : difference;
      return {
        ...entry,
        difference,
        differenceUsd: moneyToUsdString(difference),
        status: magnitude <= tolerance ? 'match' : difference > 0n ? 'ledger_higher' : 'bill_higher',
      };
    });
  const totals = { ledger: 0n, billed: 0n, difference: 0n };
  for (const row of rows) {
    totals.ledger += row.ledger;
    totals.billed += row.billed;
    totals.difference += row.difference;
  }
  return { rows, totals, mismatches: rows.filter((row) => row.status !== 'match').length };
}

const DAY_MS = 86_400_000;

/** The ledger's side from the rollup, over the days the bill covers, then `ledgerVsBill`. */
export async function compareLedgerWithBill(
  reports: Reports,
  bill: readonly BillDay[],
  options: { keyId?: string; byModel?: boolean; tolerance?: Money } = {},
): Promise<LedgerVsBillReport> {
  const days = bill.map((row) => Date.parse(`${row.date.slice(0, 10)}T00:00:00Z`)).filter(Number.isFinite);
  if (days.length === 0) return ledgerVsBill([], [], options);
  const report = await reports.spend({
    since: Math.min(...days),
    until: Math.max(...days) + DAY_MS,
    groupBy: options.byModel ? ['day', 'model'] : ['day'],
    filters: options.keyId ? { key: options.keyId } : {},
  });
  const ledger = report.rows.map((row) => ({
    day: row.group.day ?? '',
    model: row.group.model ?? null,
    spend: row.spend,
    requests: row.requests,
  }));
  return ledgerVsBill(ledger, bill, options);
}
