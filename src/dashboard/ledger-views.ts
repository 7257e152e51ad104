import type { Ledger, LedgerRow, ReportFilters, RequestStatus } from '../ledger/index.ts';
import { moneyToUsdString } from '../shared/money.ts';
import { toPlainJson } from '../shared/plain-json.ts';
import type { Period } from './period.ts';
import { rangeOf } from './spend-series.ts';

/** Stored bodies can be large; the page shows at most this much of each. */
export const BODY_DISPLAY_LIMIT = 200_000;

export interface RequestListItem {
  id: string;
  createdAt: number;
  module: string;
  user: string | null;
  key: string | null;
  /** The model that served, else the one requested. */
  model: string;
  provider: string | null;
  status: RequestStatus;
  httpStatus: number | null;
  errorCode: string | null;
  costUsd: string | null;
  costSource: string | null;
  latencyMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  streamed: boolean;
}

function listItem(row: LedgerRow): RequestListItem {
  return {
    id: row.id,
    createdAt: row.createdAt,
    module: row.module,
    user: row.userId,
    key: row.keyId,
    model: row.model ?? row.modelRequested,
    provider: row.provider,
    status: row.status,
    httpStatus: row.httpStatus,
    errorCode: row.errorCode,
    costUsd: row.cost === null ? null : moneyToUsdString(row.cost),
    costSource: row.costSource,
    latencyMs: row.latencyMs,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    streamed: row.streamed,
  };
}

export interface RequestFilterInput {
  module?: string[] | undefined;
  user?: string[] | undefined;
  model?: string[] | undefined;
  provider?: string[] | undefined;
  status?: RequestStatus[] | undefined;
}

export async function recentRequests(
  ledger: Ledger,
  input: { period: Period; filters: RequestFilterInput; limit: number },
): Promise<{ period: Period; rows: RequestListItem[] }> {
  const filters: ReportFilters = {};
  for (const dim of ['module', 'user', 'model', 'provider'] as const) {
    const values = input.filters[dim];
    if (values) filters[dim] = values;
  }
  if (input.filters.status) filters.status = input.filters.status;
  const rows = await ledger.reports.recent({ ...rangeOf(input.period), filters, limit: input.limit });
  return { period: input.period, rows: rows.map(listItem) };
}

function capped(text: string | null): { text: string | null; truncated: boolean } {
  if (text === null || text.length <= BODY_DISPLAY_LIMIT) return { text, truncated: false };
  return { text: text.slice(0, BODY_DISPLAY_LIMIT), truncated: true };
}

/** One row in full; the prompt and response only when bodies were stored (opt-in). */
export async function requestDetail(ledger: Ledger, id: string) {
  const row = await ledger.getRequest(id);
  if (!row) return undefined;
  const bodies = await ledger.getBodies(id);
  const request = capped(bodies?.request ?? null);
  const response = capped(bodies?.response ?? null);
  return {
    request: toPlainJson(row),
    bodies: {
      stored: request.text !== null || response.text !== null,
      request: request.text,
      response: response.text,
      truncated: request.truncated || response.truncated,
    },
  };
}

/** Every budget with where it stands in its current window: limit, spent, reserved. */
export async function budgetBars(ledger: Ledger) {
  const budgets = await ledger.budgets.list();
  const rows = await Promise.all(
    budgets.map(async (budget) => {
      const checks = await ledger.budgets.status({
        module: budget.scope === 'module' ? budget.scopeValue : null,
        userId: budget.scope === 'user' ? budget.scopeValue : null,
        keyId: budget.scope === 'key' ? budget.scopeValue : null,
      });
      const check = checks.find((item) => item.budget.id === budget.id);
      const spent = check?.spent ?? 0n;
      const reserved = check?.reserved ?? 0n;
      const ratio = (amount: bigint) =>
        budget.limit === 0n
          ? amount > 0n
            ? 1
            : 0
          : Number((amount * 1_000_000n) / budget.limit) / 1_000_000;
      return {
        id: budget.id,
        scope: budget.scope,
        scopeValue: budget.scopeValue,
        window: budget.window,
        limitUsd: moneyToUsdString(budget.limit),
        spentUsd: moneyToUsdString(spent),
        reservedUsd: moneyToUsdString(reserved),
        remainingUsd: moneyToUsdString(check?.remaining ?? budget.limit),
        spentRatio: ratio(spent),
        reservedRatio: ratio(reserved),
      };
    }),
  );
  return { budgets: rows };
}

/** Estimate vs billed per model over the period, with the overall figures. */
export async function driftReport(ledger: Ledger, period: Period) {
  const rows = await ledger.reports.driftByModel({ ...rangeOf(period) });
  const estimated = rows.reduce((sum, row) => sum + row.estimated, 0n);
  const billed = rows.reduce((sum, row) => sum + row.billed, 0n);
  return {
    period,
    models: rows.map((row) => ({
      model: row.model,
      requests: row.requests,
      estimatedUsd: moneyToUsdString(row.estimated),
      billedUsd: moneyToUsdString(row.billed),
      driftUsd: row.driftUsd,
      driftRatio: row.driftRatio,
    })),
    total: {
      requests: rows.reduce((sum, row) => sum + row.requests, 0),
      estimatedUsd: moneyToUsdString(estimated),
      billedUsd: moneyToUsdString(billed),
      driftUsd: moneyToUsdString(billed - estimated),
      driftRatio: estimated === 0n ? null : Number(billed - estimated) / Number(estimated),
    },
  };
}
