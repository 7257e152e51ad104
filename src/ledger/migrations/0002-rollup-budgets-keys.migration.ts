import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectName } from '../backend/store-backend.ts';
import { columnTypeNames } from './column-type-names.ts';

const COUNTERS = [
  'request_count',
  'ok_count',
  'error_count',
  'filtered_count',
  'cancelled_count',
  'interrupted_count',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'cost_sum',
  'unknown_cost_count',
  'estimated_cost_sum',
  'upstream_cost_sum',
  'latency_sum_ms',
  'latency_count',
] as const;

/** Daily rollup, budgets and reservations, gateway keys, and the instance heartbeat table. */
export function rollupBudgetsKeysMigration(dialect: DialectName): Migration {
  const t = columnTypeNames(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time and must not follow today's schema types.
    async up(db: Kysely<any>) {
      let rollup = db.schema
        .createTable('rollup_daily')
        .addColumn('day', t.text, (c) => c.notNull())
        .addColumn('module', t.text, (c) => c.notNull())
        .addColumn('user_id', t.text, (c) => c.notNull().defaultTo(''))
        .addColumn('model', t.text, (c) => c.notNull().defaultTo(''))
        .addColumn('provider', t.text, (c) => c.notNull().defaultTo(''))
        .addColumn('key_id', t.text, (c) => c.notNull().defaultTo(''));
      for (const counter of COUNTERS)
        rollup = rollup.addColumn(counter, t.big, (c) => c.notNull().defaultTo(0));
      await rollup
        .addPrimaryKeyConstraint('rollup_daily_pkey', [
          'day',
          'module',
          'user_id',
          'model',
          'provider',
          'key_id',
        ])
        .execute();
      await db.schema
        .createIndex('rollup_daily_user_day')
        .on('rollup_daily')
        .columns(['user_id', 'day'])
        .execute();
      await db.schema
        .createIndex('rollup_daily_key_day')
        .on('rollup_daily')
        .columns(['key_id', 'day'])
        .execute();

      await db.schema
        .createTable('budgets')
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('scope', t.text, (c) => c.notNull())
        .addColumn('scope_value', t.text, (c) => c.notNull().defaultTo(''))
        .addColumn('budget_window', t.text, (c) => c.notNull())
        .addColumn('limit_amount', t.big, (c) => c.notNull())
        .addColumn('created_at', t.big, (c) => c.notNull())
        .addColumn('updated_at', t.big, (c) => c.notNull())
        .addUniqueConstraint('budgets_scope_window_unique', ['scope', 'scope_value', 'budget_window'])
        .execute();

      await db.schema
        .createTable('budget_reservations')
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('amount', t.big, (c) => c.notNull())
        .addColumn('module', t.text)
        .addColumn('user_id', t.text)
        .addColumn('key_id', t.text)
        .addColumn('request_id', t.text)
        .addColumn('state', t.text, (c) => c.notNull())
        .addColumn('created_at', t.big, (c) => c.notNull())
        .addColumn('expires_at', t.big)
        .execute();
      await db.schema
        .createIndex('budget_reservations_state_created')
        .on('budget_reservations')
        .columns(['state', 'created_at'])
        .execute();
      await db.schema
        .createIndex('budget_reservations_request')
        .on('budget_reservations')
        .column('request_id')
        .where('request_id', 'is not', null)
        .execute();

      await db.schema
        .createTable('gateway_keys')
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('name', t.text, (c) => c.notNull())
        .addColumn('hash', t.text, (c) => c.notNull().unique())
        .addColumn('prefix', t.text, (c) => c.notNull())
        .addColumn('default_module', t.text)
        .addColumn('default_user', t.text)
        .addColumn('budget_id', t.text)
        .addColumn('rpm_limit', t.int)
        .addColumn('allowed_models', t.json)
        .addColumn('created_at', t.big, (c) => c.notNull())
        .addColumn('revoked_at', t.big)
        .execute();

      await db.schema
        .createTable('ledger_instances')
        .addColumn('id', t.text, (c) => c.primaryKey())
        .addColumn('hostname', t.text, (c) => c.notNull())
        .addColumn('pid', t.int, (c) => c.notNull())
        .addColumn('started_at', t.big, (c) => c.notNull())
        .addColumn('heartbeat_at', t.big, (c) => c.notNull())
        .execute();
    },
  };
}
