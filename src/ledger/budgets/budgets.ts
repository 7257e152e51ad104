import type { Kysely } from 'kysely';
import type { Clock } from '../../shared/clock.ts';
import { uuidv7 } from '../../shared/ids.ts';
import { type Money, moneyToUsdString } from '../../shared/money.ts';
import type { StoreBackend } from '../backend/store-backend.ts';
import { toBigint, toNumberOr } from '../db-values.ts';
import { invalidInput, LedgerError } from '../ledger-errors.ts';
import type { Database } from '../schema/database.ts';
import { optionalMoney, optionalText } from '../write/row-values.ts';
import { BudgetExceededError, type BudgetSummary } from './budget-exceeded-error.ts';
import { budgetUseInWindow } from './budget-spend.ts';
import { BUDGET_SCOPES, BUDGET_WINDOWS, type BudgetScope, type BudgetWindow } from './budget-windows.ts';
import {
  type HeldReservation,
  listHolds,
  type ReleasedHolds,
  type ReleaseHoldsSelector,
  releaseHolds,
} from './held-reservations.ts';

export interface Budget extends BudgetSummary {
  limitUsd: string;
  createdAt: number;
  updatedAt: number;
}

export interface BudgetInput {
  scope: BudgetScope;
  /** Required for module, user and key scopes; ignored for global. */
  scopeValue?: string | null;
  window: BudgetWindow;
  limit: Money;
}

/** Who a call is attributed to: every budget matching one of these (and the global ones) applies. */
export interface BudgetAttribution {
  module?: string | null;
  userId?: string | null;
  keyId?: string | null;
}

export interface ReserveRequest extends BudgetAttribution {
  /** The worst case of the call (prompt estimate + max_tokens at the model's prices). */
  amount: Money;
  /** The ledger row this reservation is for (lets reconciliation release a held reservation). */
  requestId?: string | null;
  ttlMs?: number;
}

export interface BudgetCheck {
  budget: Budget;
  spent: Money;
  reserved: Money;
  /** limit − spent − reserved (negative when over). */
  remaining: Money;
}

export interface Reservation {
  id: string;
  amount: Money;
  expiresAt: number;
  /** False when no budget applied: nothing was recorded, settle/release are no-ops. */
  recorded: boolean;
  /** The applicable budgets as they stood, before this reservation. */
  budgets: BudgetCheck[];
}

function instant(value: number, name: string): number {
  if (!Number.isSafeInteger(value)) throw invalidInput(`${name} must be an instant in epoch milliseconds`);
  return value;
}

function budgetFromRow(row: {
  id: string;
  scope: string;
  scope_value: string;
  budget_window: string;
  limit_amount: unknown;
  created_at: unknown;
  updated_at: unknown;
}): Budget {
  const limit = toBigint(row.limit_amount as bigint) ?? 0n;
  return {
    id: row.id,
    scope: row.scope as BudgetScope,
    scopeValue: row.scope === 'global' ? null : row.scope_value,
    window: row.budget_window as BudgetWindow,
    limit,
    limitUsd: moneyToUsdString(limit),
    createdAt: toNumberOr(row.created_at as bigint, 0),
    updatedAt: toNumberOr(row.updated_at as bigint, 0),
  };
}

/**
 * Budgets: scope (global, module, user, key) × window (day, week, month, total) × limit. A call
 * reserves its worst case first; `reserve` checks every applicable budget (spent in the window +
 * outstanding reservations + amount ≤ limit) and records the reservation in one write transaction
 * (on PostgreSQL the applicable budget rows are locked FOR UPDATE, so replicas serialise here).
 * Complete the ledger row, then `settle`: a known cost replaces the reservation (the row carries
 * it); an unknown cost keeps the reservation counted (held) until reconciliation finds the cost.
 */
export class Budgets {
  readonly #backend: StoreBackend;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #changeListeners = new Set<() => void>();

  constructor(backend: StoreBackend, clock: Clock, options: { reservationTtlMs: number }) {
    this.#backend = backend;
    this.#clock = clock;
    this.#ttlMs = options.reservationTtlMs;
  }

  /** Creates the budget, or changes the limit of the one with the same scope, value and window. */
  async set(input: BudgetInput): Promise<Budget> {
    if (!BUDGET_SCOPES.includes(input.scope))
      throw invalidInput(`scope must be one of ${BUDGET_SCOPES.join(', ')}`);
    if (!BUDGET_WINDOWS.includes(input.window))
      throw invalidInput(`window must be one of ${BUDGET_WINDOWS.join(', ')}`);
    const limit = optionalMoney(input.limit, 'limit');
    if (limit === null || limit < 0n) throw invalidInput('limit must be a non-negative Money amount');
    const scopeValue = input.scope === 'global' ? '' : optionalText(input.scopeValue, 'scopeValue');
    if (scopeValue === null) throw invalidInput(`a ${input.scope} budget needs a scopeValue`);
    const now = this.#clock.now();
    const row = await this.#backend.db
      .insertInto('budgets')
      .values({
        id: uuidv7(now),
        scope: input.scope,
        scope_value: scopeValue,
        budget_window: input.window,
        limit_amount: limit,
        created_at: now,
        updated_at: now,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['scope', 'scope_value', 'budget_window'])
          .doUpdateSet({ limit_amount: limit, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#changed();
    return budgetFromRow(row);
  }

  /**
   * Calls `listener` after each budget set or removed through this ledger (so a cache of the list,
   * such as the meter's, applies it at once); returns the unsubscribe.
   */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#changeListeners) listener();
  }

  async list(): Promise<Budget[]> {
    const rows = await this.#backend.db
      .selectFrom('budgets')
      .selectAll()
      .orderBy('scope')
      .orderBy('scope_value')
      .orderBy('budget_window')
      .execute()
      .catch((error: unknown) => this.#failed(error));
    return rows.map(budgetFromRow);
  }

  /**
   * A database that cannot be reached is `ledger_unavailable` (a call it covers must wait: the
   * gateway answers 503), not a driver's bare error (which it would answer as its own 500).
   */
  #failed(error: unknown): never {
    if (this.#backend.isUnavailableError(error) && !LedgerError.isInstance(error)) {
      throw new LedgerError(
        'ledger_unavailable',
        'The ledger database is unreachable: budgets cannot be checked.',
        {
          cause: error,
        },
      );
    }
    throw error;
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.#backend.db.deleteFrom('budgets').where('id', '=', id).executeTakeFirst();
    this.#changed();
    return result.numDeletedRows > 0n;
  }

  /** Where each applicable budget stands now. */
  async status(attribution: BudgetAttribution): Promise<BudgetCheck[]> {
    const now = this.#clock.now();
    const db = this.#backend.db;
    const budgets = await this.#applicable(db, attribution, false);
    return await Promise.all(budgets.map((budget) => this.#check(db, budget, now)));
  }

  /** Reserves `amount` against every applicable budget, or throws `BudgetExceededError`. */
  async reserve(request: ReserveRequest): Promise<Reservation> {
    const amount = optionalMoney(request.amount, 'amount');
    if (amount === null || amount < 0n) throw invalidInput('amount must be a non-negative Money amount');
    const ttlMs = request.ttlMs ?? this.#ttlMs;
    const attribution = {
      module: optionalText(request.module, 'module'),
      userId: optionalText(request.userId, 'userId'),
      keyId: optionalText(request.keyId, 'keyId'),
    };
    const requestId = optionalText(request.requestId, 'requestId');
    return await this.#reserveIn(amount, ttlMs, attribution, requestId).catch((error: unknown) =>
      this.#failed(error),
    );
  }

  async #reserveIn(
    amount: Money,
    ttlMs: number,
    attribution: { module: string | null; userId: string | null; keyId: string | null },
    requestId: string | null,
  ): Promise<Reservation> {
    return await this.#backend.writeTransaction(async (trx) => {
      const now = this.#clock.now();
      const id = uuidv7(now);
      const budgets = await this.#applicable(trx, attribution, true);
      if (budgets.length === 0) return { id, amount, expiresAt: now + ttlMs, recorded: false, budgets: [] };
      const checks: BudgetCheck[] = [];
      for (const budget of budgets) {
        const check = await this.#check(trx, budget, now);
        if (check.spent + check.reserved + amount > budget.limit) {
          throw new BudgetExceededError(budget, {
            spent: check.spent,
            reserved: check.reserved,
            requested: amount,
          });
        }
        checks.push(check);
      }
      await trx
        .insertInto('budget_reservations')
        .values({
          id,
          amount,
          module: attribution.module,
          user_id: attribution.userId,
          key_id: attribution.keyId,
          request_id: requestId,
          state: 'active',
          created_at: now,
          expires_at: now + ttlMs,
        })
        .execute();
      return { id, amount, expiresAt: now + ttlMs, recorded: true, budgets: checks };
    });
  }

  /**
   * After the ledger row is completed: a known `actualCost` (already on the row, hence in the
   * rollup) replaces the reservation; `null` (unknown) keeps the reserved amount counted, without
   * expiry, until reconciliation re-costs the linked request.
   */
  async settle(
    reservationId: string,
    actualCost: Money | null,
    options: { requestId?: string } = {},
  ): Promise<void> {
    const cost = optionalMoney(actualCost, 'actualCost');
    const db = this.#backend.db;
    if (cost !== null) {
      await db.deleteFrom('budget_reservations').where('id', '=', reservationId).execute();
      return;
    }
    await db
      .updateTable('budget_reservations')
      .set((eb) => ({
        state: 'held',
        expires_at: null,
        request_id: options.requestId ?? eb.ref('request_id'),
      }))
      .where('id', '=', reservationId)
      .execute();
  }

  /** The call did not happen (or cost nothing): the reservation stops counting. */
  async release(reservationId: string): Promise<void> {
    await this.#backend.db.deleteFrom('budget_reservations').where('id', '=', reservationId).execute();
  }

  /**
   * The reservations held at their worst case for calls whose cost is unknown, oldest first
   * (`before`: admitted before that instant). They count against their budgets until
   * reconciliation finds the cost, or an operator releases them.
   */
  async holds(options: { before?: number } = {}): Promise<HeldReservation[]> {
    const before = options.before === undefined ? undefined : instant(options.before, 'before');
    return await listHolds(this.#backend.db, { before }).catch((error: unknown) => this.#failed(error));
  }

  /**
   * Stops counting the holds the selector names, for calls whose cost will never be known (no
   * generation id, or reconciliation gave up). Holds reconciliation may still resolve are left to
   * it unless `includeReconcilable`. The calls' rows are not changed: their cost stays unknown.
   */
  async releaseHolds(selector: ReleaseHoldsSelector): Promise<ReleasedHolds> {
    const requestIds = selector.requestIds?.map((id) => {
      const text = optionalText(id, 'requestIds[]');
      if (text === null) throw invalidInput('requestIds must be non-empty strings');
      return text;
    });
    const before = selector.before === undefined ? undefined : instant(selector.before, 'before');
    if (!selector.all && (requestIds === undefined || requestIds.length === 0) && before === undefined) {
      throw invalidInput('say which holds to release: requestIds, before, or all');
    }
    return await this.#backend
      .writeTransaction((trx) =>
        releaseHolds(trx, {
          requestIds: requestIds?.length ? requestIds : undefined,
          before,
          all: selector.all === true,
          includeReconcilable: selector.includeReconcilable === true,
        }),
      )
      .catch((error: unknown) => this.#failed(error));
  }

  /** Deletes active reservations past their TTL (they already stopped counting). */
  async cleanupExpired(): Promise<number> {
    const result = await this.#backend.db
      .deleteFrom('budget_reservations')
      .where('state', '=', 'active')
      .where('expires_at', '<=', this.#clock.now())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #applicable(db: Kysely<Database>, who: BudgetAttribution, lock: boolean): Promise<Budget[]> {
    let query = db
      .selectFrom('budgets')
      .selectAll()
      .where((eb) => {
        const scopes = [eb('scope', '=', 'global')];
        if (who.module) scopes.push(eb.and([eb('scope', '=', 'module'), eb('scope_value', '=', who.module)]));
        if (who.userId) scopes.push(eb.and([eb('scope', '=', 'user'), eb('scope_value', '=', who.userId)]));
        if (who.keyId) scopes.push(eb.and([eb('scope', '=', 'key'), eb('scope_value', '=', who.keyId)]));
        return eb.or(scopes);
      })
      .orderBy('id');
    if (lock && this.#backend.dialect === 'postgres') query = query.forUpdate();
    return (await query.execute()).map(budgetFromRow);
  }

  async #check(db: Kysely<Database>, budget: Budget, now: number): Promise<BudgetCheck> {
    const { spent, reserved } = await budgetUseInWindow(db, this.#backend, budget, now);
    return { budget, spent, reserved, remaining: budget.limit - spent - reserved };
  }
}
