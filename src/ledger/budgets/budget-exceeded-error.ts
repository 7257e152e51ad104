import { type Money, moneyToUsdString } from '../../shared/money.ts';
import { LedgerError } from '../ledger-errors.ts';
import type { BudgetScope, BudgetWindow } from './budget-windows.ts';

export interface BudgetSummary {
  id: string;
  scope: BudgetScope;
  /** null for the global scope. */
  scopeValue: string | null;
  window: BudgetWindow;
  limit: Money;
}

export function describeBudget(budget: Pick<BudgetSummary, 'scope' | 'scopeValue' | 'window'>): string {
  const who = budget.scope === 'global' ? 'global' : `${budget.scope} ${JSON.stringify(budget.scopeValue)}`;
  const per = budget.window === 'total' ? 'total' : `per ${budget.window}`;
  return `${who} budget (${per})`;
}

/** A reservation refused: names the budget, its limit and what was spent and reserved in the window. */
export class BudgetExceededError extends LedgerError {
  readonly budget: BudgetSummary;
  readonly spent: Money;
  readonly reserved: Money;
  readonly requested: Money;

  constructor(budget: BudgetSummary, figures: { spent: Money; reserved: Money; requested: Money }) {
    super(
      'budget_exceeded',
      `Budget exceeded: ${describeBudget(budget)} limit $${moneyToUsdString(budget.limit)}; spent ` +
        `$${moneyToUsdString(figures.spent)}, reserved $${moneyToUsdString(figures.reserved)}, requested ` +
        `$${moneyToUsdString(figures.requested)}.`,
    );
    this.name = 'BudgetExceededError';
    this.budget = budget;
    this.spent = figures.spent;
    this.reserved = figures.reserved;
    this.requested = figures.requested;
  }

  static override isInstance(error: unknown): error is BudgetExceededError {
    return LedgerError.isInstance(error) && error.code === 'budget_exceeded';
  }
}
