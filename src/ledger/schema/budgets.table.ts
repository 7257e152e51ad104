import type { BigColumn, NullableBigColumn, NullableText } from './column-types.ts';

export interface BudgetsTable {
  id: string;
  /** `global` | `module` | `user` | `key` */
  scope: string;
  /** '' for the global scope. */
  scope_value: string;
  /** `day` | `week` | `month` | `total` (UTC windows). */
  budget_window: string;
  limit_amount: BigColumn;
  created_at: BigColumn;
  updated_at: BigColumn;
}

export interface BudgetReservationsTable {
  id: string;
  amount: BigColumn;
  module: NullableText;
  user_id: NullableText;
  key_id: NullableText;
  request_id: NullableText;
  /** `active` (counted until `expires_at`) or `held` (settled with an unknown cost: counted until re-costed). */
  state: string;
  created_at: BigColumn;
  expires_at: NullableBigColumn;
}
