import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { LedgerError } from '../ledger-errors.ts';
import {
  LEDGER_MIGRATION_LOCK_TABLE,
  LEDGER_MIGRATION_TABLE,
  ledgerMigrations,
} from '../migrations/migration-provider.ts';
import type { Database } from '../schema/database.ts';
import type { DialectName } from './store-backend.ts';

/** Runs the ledger's migrations to the latest; a failure names the migration that failed. */
export async function runMigrations(
  db: Kysely<Database>,
  dialect: DialectName,
  options: { disableTransactions?: boolean } = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    disableTransactions: options.disableTransactions ?? false,
    provider: ledgerMigrations(dialect),
    migrationTableName: LEDGER_MIGRATION_TABLE,
    migrationLockTableName: LEDGER_MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'setup';
    const detail = error instanceof Error ? error.message : String(error);
    throw new LedgerError('ledger_migration', `Ledger migration ${failed} failed: ${detail}`, {
      cause: error,
    });
  }
}
