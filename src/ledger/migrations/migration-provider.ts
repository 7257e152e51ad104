import type { Migration, MigrationProvider } from 'kysely/migration';
import type { DialectName } from '../backend/store-backend.ts';
import { requestsMigration } from './0001-requests.migration.ts';
import { rollupBudgetsKeysMigration } from './0002-rollup-budgets-keys.migration.ts';
import { coarseRollupMigration } from './0003-coarse-rollup.migration.ts';

/** Migrations live in code (no folder scanning), named so they sort in the order they apply. */
export function ledgerMigrations(dialect: DialectName): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_requests': requestsMigration(dialect),
    '0002_rollup_budgets_keys': rollupBudgetsKeysMigration(dialect),
    '0003_coarse_rollup': coarseRollupMigration(dialect),
  };
  return { getMigrations: async () => migrations };
}

export const LEDGER_MIGRATION_TABLE = 'tollgate_migration';
export const LEDGER_MIGRATION_LOCK_TABLE = 'tollgate_migration_lock';
