import { type Expression, type RawBuilder, sql } from 'kysely';
import type { StoreBackend } from '../backend/store-backend.ts';
import { invalidInput } from '../ledger-errors.ts';
import { REQUEST_STATUSES, type RequestStatus } from '../ledger-types.ts';

export const REPORT_DIMENSIONS = [
  'module',
  'user',
  'model',
  'provider',
  'key',
  'day',
  'week',
  'month',
] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];
export const FILTER_DIMENSIONS = ['module', 'user', 'model', 'provider', 'key'] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

export type FilterValue = string | readonly string[];

export interface ReportFilters {
  module?: FilterValue;
  user?: FilterValue;
  model?: FilterValue;
  provider?: FilterValue;
  key?: FilterValue;
  status?: RequestStatus | readonly RequestStatus[];
}

export interface ReportRange {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

const DAY_MS = 86_400_000;

export function filterValues(value: FilterValue | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : [...value];
  if (values.length === 0 || !values.every((item) => typeof item === 'string')) {
    throw invalidInput('a filter is a string or a non-empty list of strings');
  }
  return values;
}

export function statusValues(value: ReportFilters['status']): RequestStatus[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : [...value];
  if (values.length === 0 || !values.every((item) => REQUEST_STATUSES.includes(item))) {
    throw invalidInput(`status must be among ${REQUEST_STATUSES.join(', ')}`);
  }
  return values;
}

export function checkDimensions(groupBy: readonly string[] | undefined): ReportDimension[] {
  const dims = [...(groupBy ?? [])];
  for (const dim of dims) {
    if (!REPORT_DIMENSIONS.includes(dim as ReportDimension)) {
      throw invalidInput(`cannot group by ${JSON.stringify(dim)}; use ${REPORT_DIMENSIONS.join(', ')}`);
    }
  }
  return [...new Set(dims)] as ReportDimension[];
}

export function checkRange(range: ReportRange): void {
  for (const [name, value] of Object.entries(range)) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value))) {
      throw invalidInput(`${name} must be epoch milliseconds`);
    }
  }
}

/** The rollup holds whole UTC days and no status: it can serve ranges on day boundaries, no status filter. */
export function rollupCanServe(range: ReportRange, filters: ReportFilters): boolean {
  if (filters.status !== undefined) return false;
  const aligned = (value: number | undefined) => value === undefined || value % DAY_MS === 0;
  return aligned(range.since) && aligned(range.until);
}

/**
 * The rollup table that answers: the coarse one (no user dimension, a few thousand rows a month)
 * unless the report groups or filters by user.
 */
export function rollupTableFor(
  dims: readonly ReportDimension[],
  filters: ReportFilters,
): 'rollup_daily' | 'rollup_daily_coarse' {
  return dims.includes('user') || filters.user !== undefined ? 'rollup_daily' : 'rollup_daily_coarse';
}

/** A dimension's expression over a rollup table or over `requests`. */
export function dimensionExpression(
  backend: StoreBackend,
  source: 'rollup' | 'requests',
  dim: ReportDimension,
): RawBuilder<unknown> {
  const createdAt: Expression<unknown> = sql.ref('created_at');
  const day: Expression<unknown> = sql.ref('day');
  switch (dim) {
    case 'module':
      return sql`${sql.ref('module')}`;
    case 'user':
      return sql`${sql.ref('user_id')}`;
    case 'provider':
      return sql`${sql.ref('provider')}`;
    case 'key':
      return sql`${sql.ref('key_id')}`;
    case 'model':
      return source === 'rollup' ? sql`${sql.ref('model')}` : sql`coalesce(model, model_requested)`;
    case 'day':
      return source === 'rollup' ? sql`${day}` : backend.dayOfMs(createdAt);
    case 'week':
      return source === 'rollup' ? backend.weekOfDay(day) : backend.weekOfMs(createdAt);
    case 'month':
      return source === 'rollup' ? sql`substr(${day}, 1, 7)` : backend.monthOfMs(createdAt);
  }
}
