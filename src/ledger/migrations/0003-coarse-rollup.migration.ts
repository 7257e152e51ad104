import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectName } from '../backend/store-backend.ts';
import { columnTypeNames } from './column-type-names.ts';

const DIMENSIONS = ['day', 'module', 'model', 'provider', 'key_id'] as const;
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

/**
 * The coarse daily rollup: `rollup_daily` without the user dimension, which with many users grows
 * almost as fast as `requests` itself. Reports and budgets that do not look at users read this one.
 * It is filled from `rollup_daily` here, in the migration's transaction, so it starts equal to it.
 * Budgets and reports by key now read it, so `rollup_daily` loses its key index (one index less
 * to write on every new daily cell).
 */
export function coarseRollupMigration(dialect: DialectName): Migration {
  const t = columnTypeNames(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time and must not follow today's schema types.
    async up(db: Kysely<any>) {
      let table = db.schema
        .createTable('rollup_daily_coarse')
        .addColumn('day', t.text, (c) => c.notNull())
        .addColumn('module', t.text, (c) => c.notNull())
        .addColumn('model', t.text, (c) => c.notNull().defaultTo(''))
        .addColumn('provider', t.text, (c) => c.notNull().defaultTo(''))
        .addColumn('key_id', t.text, (c) => c.notNull().defaultTo(''));
      for (const counter of COUNTERS)
        table = table.addColumn(counter, t.big, (c) => c.notNull().defaultTo(0));
      table = table.addPrimaryKeyConstraint('rollup_daily_coarse_pkey', [...DIMENSIONS]);
      // SQLite: rows stored in the primary key's B-tree, so an increment writes one B-tree, not two.
      if (dialect === 'sqlite') table = table.modifyEnd(sql`without rowid`);
      await table.execute();
      // Budgets per module and per key sum one value's cells from a day on.
      await db.schema
        .createIndex('rollup_daily_coarse_module_day')
        .on('rollup_daily_coarse')
        .columns(['module', 'day'])
        .execute();
      await db.schema
        .createIndex('rollup_daily_coarse_key_day')
        .on('rollup_daily_coarse')
        .columns(['key_id', 'day'])
        .execute();

      const dimensions = sql.join(DIMENSIONS.map((name) => sql.ref(name)));
      const counters = sql.join(COUNTERS.map((name) => sql.ref(name)));
      // SUM over BIGINT is NUMERIC on PostgreSQL (cast back on insert); on SQLite an integer SUM
      // that overflowed would fail the migration rather than store a wrong total.
      const sums = sql.join(COUNTERS.map((name) => sql`sum(${sql.ref(name)})`));
      await sql`insert into rollup_daily_coarse (${dimensions}, ${counters})
        select ${dimensions}, ${sums} from rollup_daily group by ${dimensions}`.execute(db);

      await db.schema.dropIndex('rollup_daily_key_day').execute();
    },
  };
}
