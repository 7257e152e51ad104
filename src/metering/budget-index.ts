import type { Budget, BudgetAttribution, Budgets } from '../ledger/index.ts';
import type { Clock } from '../shared/clock.ts';

/**
 * Knows which budgets exist, so a call that no budget covers skips the reservation transaction
 * entirely (the common case on the gateway's hot path). The list is re-read at most every
 * `refreshMs`, so a budget set by another process applies within that time; one set through this
 * process's ledger applies at once (the index listens for its changes).
 */
export class BudgetIndex {
  readonly #budgets: Budgets;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  #list: readonly Budget[] | undefined;
  #loadedAt = 0;
  #loading: Promise<readonly Budget[]> | undefined;

  constructor(budgets: Budgets, clock: Clock, refreshMs: number) {
    this.#budgets = budgets;
    this.#clock = clock;
    this.#refreshMs = refreshMs;
    budgets.onChange(() => this.invalidate());
  }

  /** Whether any budget applies to this attribution (global, or matching its module, user or key). */
  async covers(who: BudgetAttribution): Promise<boolean> {
    const list = await this.#current();
    return list.some(
      (budget) =>
        budget.scope === 'global' ||
        (budget.scope === 'module' && budget.scopeValue === who.module) ||
        (budget.scope === 'user' && budget.scopeValue === who.userId) ||
        (budget.scope === 'key' && budget.scopeValue === who.keyId),
    );
  }

  invalidate(): void {
    this.#loadedAt = Number.NEGATIVE_INFINITY;
  }

  async #current(): Promise<readonly Budget[]> {
    const fresh = this.#list !== undefined && this.#clock.now() - this.#loadedAt < this.#refreshMs;
    // A budget set through this process must apply at once: a change makes the list stale.
    if (fresh && this.#list) return this.#list;
    this.#loading ??= this.#budgets.list().then(
      (list) => {
        this.#list = list;
        this.#loadedAt = this.#clock.now();
        this.#loading = undefined;
        return list;
      },
      (error: unknown) => {
        this.#loading = undefined;
        // The database is unreachable (an outage: rows are being spooled). Keep deciding with the
        // last list known; a call a budget covers still needs the database to reserve, and fails then.
        if (this.#list) return this.#list;
        throw error;
      },
    );
    return await this.#loading;
  }
}
