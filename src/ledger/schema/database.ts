import type { BudgetReservationsTable, BudgetsTable } from './budgets.table.ts';
import type { BigColumn, IntColumn } from './column-types.ts';
import type { GatewayKeysTable } from './gateway-keys.table.ts';
import type { RequestBodiesTable, RequestsTable } from './requests.table.ts';
import type { RollupDailyCoarseTable, RollupDailyTable } from './rollup.table.ts';

/** Live ledger processes; pending rows of an instance that stopped beating become `interrupted`. */
export interface LedgerInstancesTable {
  id: string;
  hostname: string;
  pid: IntColumn;
  started_at: BigColumn;
  heartbeat_at: BigColumn;
}

export interface Database {
  requests: RequestsTable;
  request_bodies: RequestBodiesTable;
  rollup_daily: RollupDailyTable;
  rollup_daily_coarse: RollupDailyCoarseTable;
  budgets: BudgetsTable;
  budget_reservations: BudgetReservationsTable;
  gateway_keys: GatewayKeysTable;
  ledger_instances: LedgerInstancesTable;
}
