import { sql } from 'kysely';
import { moneyFromUsd } from '../../shared/money.ts';
import type { StoreBackend } from '../backend/store-backend.ts';
import { toBigint, toNumber, toNumberOr } from '../db-values.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { applyRollupDelta, FACT_COLUMNS, factsFromRow } from '../rollup/rollup-store.ts';
import type { RequestsRow } from '../schema/requests.table.ts';
import { checkTokens } from '../write/row-values.ts';
import type { GenerationRecord } from './generation-record.ts';

export interface DueGeneration {
  id: string;
  generationId: string;
  /** Attempts made before this one. */
  attempts: number;
}

export interface ReconcileOutcome {
  costChanged: boolean;
}

/** What the reconciler needs from the ledger; all state lives in `requests`, so it survives restarts. */
export interface ReconcileStore {
  /** Claims up to `limit` due rows by pushing their `next_reconcile_at` out by `leaseMs`. */
  claimDue(now: number, limit: number, leaseMs: number): Promise<DueGeneration[]>;
  /** A miss (404 or failure): schedule the next try at `nextAt`, or give up with null. */
  recordMiss(id: string, attempts: number, nextAt: number | null): Promise<void>;
  /**
   * Hands claimed rows back untried, due at `nextAt`, their attempts unchanged: the run stopped
   * because OpenRouter could not answer, which says nothing about these rows.
   */
  release(ids: readonly string[], nextAt: number): Promise<void>;
  /** Stores the record and moves the rollup by the difference, in one transaction. */
  applyGeneration(id: string, record: GenerationRecord, now: number): Promise<ReconcileOutcome | undefined>;
  /** Age of the oldest completed row still waiting for reconciliation (ms), or null. */
  lagMs(now: number): Promise<number | null>;
}

function usdOrNull(value: number | string | null | undefined): bigint | null {
  return value === null || value === undefined ? null : moneyFromUsd(value);
}

function integerOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value);
}

/** The column changes a generation record makes to a row (only filling what it knows). */
export function reconciledValues(row: RequestsRow, record: GenerationRecord, now: number) {
  const billed = usdOrNull(record.total_cost ?? record.usage);
  const previous = toBigint(row.cost);
  const costChanged = billed !== null && billed !== previous;
  // A bill that agrees with a catalogue estimate still makes the figure a billed one: reports that
  // compare estimates with bills (drift) must count the rows whose estimate was right.
  const fromBill = costChanged || (billed !== null && row.cost_source === 'estimate');
  const tokens = {
    promptTokens: record.native_tokens_prompt ?? record.tokens_prompt ?? toNumber(row.prompt_tokens),
    completionTokens:
      record.native_tokens_completion ?? record.tokens_completion ?? toNumber(row.completion_tokens),
    reasoningTokens: record.native_tokens_reasoning ?? toNumber(row.reasoning_tokens),
    cachedTokens: record.native_tokens_cached ?? toNumber(row.cached_tokens),
    cacheWriteTokens: toNumber(row.cache_write_tokens),
  };
  const { counts, flags } = checkTokens(tokens);
  const upstream = usdOrNull(record.upstream_inference_cost);
  return {
    costChanged,
    values: {
      // The billed figure wins when it differs from ours, we had none, or ours was an estimate; a
      // billed figure it agrees with (the answer's usage.cost) keeps its source.
      ...(fromBill ? { cost: billed, cost_source: 'generation', cost_known: 1 } : {}),
      upstream_inference_cost: upstream ?? toBigint(row.upstream_inference_cost),
      is_byok:
        record.is_byok === null || record.is_byok === undefined
          ? toNumber(row.is_byok)
          : record.is_byok
            ? 1
            : 0,
      model: row.model ?? record.model ?? null,
      provider: row.provider ?? record.provider_name ?? null,
      finish_reason: row.finish_reason ?? record.finish_reason ?? null,
      native_finish_reason: row.native_finish_reason ?? record.native_finish_reason ?? null,
      prompt_tokens: counts.prompt,
      completion_tokens: counts.completion,
      reasoning_tokens: counts.reasoning,
      cached_tokens: counts.cached,
      token_check: flags.length > 0 ? flags.join(',') : null,
      upstream_latency_ms: integerOrNull(record.latency),
      generation_time_ms: integerOrNull(record.generation_time),
      provider_responses: record.provider_responses ? JSON.stringify(record.provider_responses) : null,
      reconciled_at: now,
      next_reconcile_at: null,
      reconcile_attempts: toNumberOr(row.reconcile_attempts, 0) + 1,
    },
  };
}

export function createReconcileStore(backend: StoreBackend): ReconcileStore {
  const db = backend.db;
  return {
    async claimDue(now, limit, leaseMs) {
      let due = db
        .selectFrom('requests')
        .select('id')
        .where('next_reconcile_at', '<=', now)
        .where('reconciled_at', 'is', null)
        .where('generation_id', 'is not', null)
        .where('status', '!=', 'pending')
        .orderBy('next_reconcile_at')
        .limit(limit);
      if (backend.dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('requests')
        .set({ next_reconcile_at: now + leaseMs })
        .where('id', 'in', due)
        .where('next_reconcile_at', '<=', now)
        .returning(['id', 'generation_id', 'reconcile_attempts'])
        .execute();
      return rows.map((row) => ({
        id: row.id,
        generationId: row.generation_id ?? '',
        attempts: toNumberOr(row.reconcile_attempts, 0),
      }));
    },
    async recordMiss(id, attempts, nextAt) {
      await db
        .updateTable('requests')
        .set({ reconcile_attempts: attempts, next_reconcile_at: nextAt })
        .where('id', '=', id)
        .where('reconciled_at', 'is', null)
        .execute();
    },
    async release(ids, nextAt) {
      if (ids.length === 0) return;
      await db
        .updateTable('requests')
        .set({ next_reconcile_at: nextAt })
        .where('id', 'in', [...ids])
        .where('reconciled_at', 'is', null)
        .execute();
    },
    async applyGeneration(id, record, now) {
      return await backend.writeTransaction(async (trx) => {
        const row = await trx.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return undefined;
        const { costChanged, values } = reconciledValues(row, record, now);
        const after = await trx
          .updateTable('requests')
          .set(values)
          .where('id', '=', id)
          .returning([...FACT_COLUMNS])
          .executeTakeFirstOrThrow();
        const delta = new RollupDelta();
        delta.replace(factsFromRow(row), factsFromRow(after));
        await applyRollupDelta(trx, backend, delta);
        if (after.cost !== null) {
          await trx
            .deleteFrom('budget_reservations')
            .where('request_id', '=', id)
            .where('state', '=', 'held')
            .execute();
        }
        return { costChanged };
      });
    },
    async lagMs(now) {
      const row = await db
        .selectFrom('requests')
        .select(sql<string | number | bigint | null>`min(completed_at)`.as('oldest'))
        .where('next_reconcile_at', 'is not', null)
        .where('reconciled_at', 'is', null)
        .executeTakeFirst();
      const oldest = toNumber(row?.oldest ?? null);
      return oldest === null ? null : Math.max(0, now - oldest);
    },
  };
}
