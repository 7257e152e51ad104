import { type AliasedRawBuilder, type RawBuilder, type SqlBool, sql } from 'kysely';
import { type Money, moneyToUsdString } from '../shared/money.ts';
import type { StoreBackend } from './backend/store-backend.ts';
import { fromDimension } from './db-values.ts';
import { invalidInput } from './ledger-errors.ts';
import type { LedgerRow } from './ledger-types.ts';
import {
  checkDimensions,
  checkRange,
  dimensionExpression,
  FILTER_DIMENSIONS,
  filterValues,
  type ReportDimension,
  type ReportFilters,
  type ReportRange,
  rollupCanServe,
  rollupTableFor,
  statusValues,
} from './reports/report-query.ts';
import { utcDay } from './rollup/rollup-delta.ts';
import { ledgerRowFromDb } from './row-mapper.ts';

export type { ReportDimension, ReportFilters, ReportRange } from './reports/report-query.ts';
export { REPORT_DIMENSIONS } from './reports/report-query.ts';

export interface ReportQuery extends ReportRange {
  groupBy?: readonly ReportDimension[];
  filters?: ReportFilters;
  /** `auto` (default): the rollup when the grouping and filters allow, else `requests`. */
  source?: 'auto' | 'rollup' | 'requests';
}

/** A group's values; absent dimensions (no user, no key…) are null. */
export type ReportGroup = Partial<Record<ReportDimension, string | null>>;

export interface ReportRow {
  group: ReportGroup;
  requests: number;
  errors: number;
  unknownCostCount: number;
  /** Sum of known costs. */
  spend: Money;
  spendUsd: string;
  estimatedSpend: Money;
  /** BYOK provider charges, kept apart from `spend`. */
  upstreamSpend: Money;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  avgLatencyMs: number | null;
}

export interface Report {
  source: 'rollup' | 'requests';
  rows: ReportRow[];
}

export interface DriftRow {
  model: string;
  /** Rows with both an estimate and a billed cost. */
  requests: number;
  estimated: Money;
  billed: Money;
  /** billed − estimated. */
  drift: Money;
  driftUsd: string;
  /** drift / estimated, for people; null when nothing was estimated. */
  driftRatio: number | null;
}

export interface RecentQuery extends ReportRange {
  filters?: ReportFilters;
  /** Default 50, at most 1000. */
  limit?: number;
}

export interface KeyDaySpend {
  day: string;
  keyId: string | null;
  requests: number;
  spend: Money;
  spendUsd: string;
}

const SUMS = [
  ['prompt_tokens', 'promptTokens'],
  ['completion_tokens', 'completionTokens'],
  ['reasoning_tokens', 'reasoningTokens'],
  ['cached_tokens', 'cachedTokens'],
  ['cache_write_tokens', 'cacheWriteTokens'],
] as const;

function int(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/**
 * Spend, requests, tokens, errors, unknown-cost count and latency grouped by any dimensions, over
 * a range, with filters; from the daily rollup when it can answer, else from `requests`. Every
 * caller-supplied value reaches SQL as a bound parameter; dimensions are checked against a list.
 */
export class Reports {
  readonly #backend: StoreBackend;

  constructor(backend: StoreBackend) {
    this.#backend = backend;
  }

  async spend(query: ReportQuery = {}): Promise<Report> {
    const dims = checkDimensions(query.groupBy);
    const range = { since: query.since, until: query.until };
    checkRange(range);
    const filters = query.filters ?? {};
    const wanted = query.source ?? 'auto';
    const canRollup = rollupCanServe(range, filters);
    if (wanted === 'rollup' && !canRollup) {
      throw invalidInput('the rollup cannot serve a status filter or a range off UTC day boundaries');
    }
    const source = wanted === 'requests' || !canRollup ? 'requests' : 'rollup';
    const backend = this.#backend;
    const dimSelections = dims.map((dim) => dimensionExpression(backend, source, dim).as(dim));
    const groupExpressions = dims.map((dim) => dimensionExpression(backend, source, dim));
    const money = (column: string, alias: string) => backend.moneySum(sql.ref(column), alias);
    let rows: Record<string, unknown>[];
    if (source === 'rollup') {
      const aggregates: AliasedRawBuilder<unknown, string>[] = [
        sql`sum(request_count)`.as('requests'),
        sql`sum(error_count)`.as('errors'),
        sql`sum(unknown_cost_count)`.as('unknown'),
        ...money('cost_sum', 'spend'),
        ...money('estimated_cost_sum', 'estimated'),
        ...money('upstream_cost_sum', 'upstream'),
        ...SUMS.map(([column, alias]) => sql`sum(${sql.ref(column)})`.as(alias)),
        sql`sum(latency_sum_ms)`.as('latency_sum'),
        sql`sum(latency_count)`.as('latency_count'),
      ];
      const table = rollupTableFor(dims, filters);
      let builder = backend.db.selectFrom(table).select([...dimSelections, ...aggregates]);
      if (range.since !== undefined) builder = builder.where('day', '>=', utcDay(range.since));
      if (range.until !== undefined) builder = builder.where('day', '<', utcDay(range.until));
      for (const condition of this.#filterConditions('rollup', filters)) builder = builder.where(condition);
      rows = await (groupExpressions.length > 0 ? builder.groupBy(groupExpressions) : builder).execute();
    } else {
      const aggregates: AliasedRawBuilder<unknown, string>[] = [
        sql`count(*)`.as('requests'),
        sql`sum(case when status = 'error' then 1 else 0 end)`.as('errors'),
        sql`sum(case when cost is null then 1 else 0 end)`.as('unknown'),
        ...money('cost', 'spend'),
        ...money('estimated_cost', 'estimated'),
        ...money('upstream_inference_cost', 'upstream'),
        ...SUMS.map(([column, alias]) => sql`sum(${sql.ref(column)})`.as(alias)),
        sql`sum(latency_ms)`.as('latency_sum'),
        sql`count(latency_ms)`.as('latency_count'),
      ];
      let builder = this.#requestsScope(range, filters).select([...dimSelections, ...aggregates]);
      if (filters.status === undefined) builder = builder.where('status', '!=', 'pending');
      rows = await (groupExpressions.length > 0 ? builder.groupBy(groupExpressions) : builder).execute();
    }
    const result = rows.filter((row) => int(row.requests) > 0).map((row) => this.#reportRow(row, dims));
    result.sort((a, b) => compareGroups(a.group, b.group, dims));
    return { source, rows: result };
  }

  /**
   * Estimate vs billed cost per model, over rows that have both (billed = `usage` or `generation`).
   * BYOK calls are left out: OpenRouter bills them its fee, not the list price the estimate uses,
   * so they would read as a -95% drift that says nothing about the prices.
   */
  async driftByModel(query: ReportRange & { filters?: ReportFilters } = {}): Promise<DriftRow[]> {
    checkRange({ since: query.since, until: query.until });
    const backend = this.#backend;
    const rows = await this.#requestsScope(query, query.filters ?? {})
      .select([
        sql<string>`coalesce(model, model_requested)`.as('model'),
        sql`count(*)`.as('requests'),
        ...backend.moneySum(sql.ref('estimated_cost'), 'estimated'),
        ...backend.moneySum(sql.ref('cost'), 'billed'),
      ])
      .where('estimated_cost', 'is not', null)
      .where('cost', 'is not', null)
      .where('cost_source', 'in', ['usage', 'generation'])
      .where(sql<boolean>`coalesce(is_byok, 0) = 0`)
      .groupBy(sql`coalesce(model, model_requested)`)
      .execute();
    return rows
      .map((row) => {
        const estimated = backend.readMoneySum(row, 'estimated');
        const billed = backend.readMoneySum(row, 'billed');
        const drift = billed - estimated;
        return {
          model: String(row.model),
          requests: int(row.requests),
          estimated,
          billed,
          drift,
          driftUsd: moneyToUsdString(drift),
          driftRatio: estimated === 0n ? null : Number(drift) / Number(estimated),
        };
      })
      .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  }

  /** The most recent rows (pending included), newest first: the per-user drill-down. */
  async recent(query: RecentQuery = {}): Promise<LedgerRow[]> {
    checkRange({ since: query.since, until: query.until });
    const limit = query.limit ?? 50;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw invalidInput('limit must be 1…1000');
    const rows = await this.#requestsScope(query, query.filters ?? {})
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(ledgerRowFromDb);
  }

  /** Known spend per gateway key per UTC day (to compare with OpenRouter's /activity). */
  async spendPerKeyPerDay(range: ReportRange = {}): Promise<KeyDaySpend[]> {
    const report = await this.spend({ ...range, groupBy: ['day', 'key'] });
    return report.rows.map((row) => ({
      day: row.group.day ?? '',
      keyId: row.group.key ?? null,
      requests: row.requests,
      spend: row.spend,
      spendUsd: row.spendUsd,
    }));
  }

  #requestsScope(range: ReportRange, filters: ReportFilters) {
    let builder = this.#backend.db.selectFrom('requests');
    if (range.since !== undefined) builder = builder.where('created_at', '>=', range.since);
    if (range.until !== undefined) builder = builder.where('created_at', '<', range.until);
    const statuses = statusValues(filters.status);
    if (statuses) builder = builder.where('status', 'in', statuses);
    for (const condition of this.#filterConditions('requests', filters)) builder = builder.where(condition);
    return builder;
  }

  /** `<dimension> in ($1, $2…)` per filter: values are always bound parameters. */
  #filterConditions(source: 'rollup' | 'requests', filters: ReportFilters): RawBuilder<SqlBool>[] {
    const conditions: RawBuilder<SqlBool>[] = [];
    for (const dim of FILTER_DIMENSIONS) {
      const values = filterValues(filters[dim]);
      if (!values) continue;
      const expression = dimensionExpression(this.#backend, source, dim);
      conditions.push(sql<SqlBool>`${expression} in (${sql.join(values.map((value) => sql`${value}`))})`);
    }
    return conditions;
  }

  #reportRow(row: Record<string, unknown>, dims: ReportDimension[]): ReportRow {
    const backend = this.#backend;
    const group: ReportGroup = {};
    for (const dim of dims) {
      const value = row[dim];
      group[dim] = value === null || value === undefined ? null : fromDimension(String(value));
    }
    const spend = backend.readMoneySum(row, 'spend');
    const latencyCount = int(row.latency_count);
    const result: ReportRow = {
      group,
      requests: int(row.requests),
      errors: int(row.errors),
      unknownCostCount: int(row.unknown),
      spend,
      spendUsd: moneyToUsdString(spend),
      estimatedSpend: backend.readMoneySum(row, 'estimated'),
      upstreamSpend: backend.readMoneySum(row, 'upstream'),
      promptTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      avgLatencyMs: latencyCount === 0 ? null : int(row.latency_sum) / latencyCount,
    };
    for (const [, alias] of SUMS) result[alias] = int(row[alias]);
    return result;
  }
}

function compareGroups(a: ReportGroup, b: ReportGroup, dims: readonly ReportDimension[]): number {
  for (const dim of dims) {
    const x = a[dim] ?? '';
    const y = b[dim] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
