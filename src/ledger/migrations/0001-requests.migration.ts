import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectName } from '../backend/store-backend.ts';
import { columnTypeNames } from './column-type-names.ts';

/**
 * The `requests` table and its bodies. On PostgreSQL it is partitioned by month on `created_at`
 * (epoch ms), so retention drops partitions; the primary key therefore includes `created_at`, and
 * `generation_id` is unique per partition (PostgreSQL cannot enforce a global unique index on a
 * partitioned table without the partition key). SQLite enforces it globally.
 */
export function requestsMigration(dialect: DialectName): Migration {
  const t = columnTypeNames(dialect);
  const pg = dialect === 'postgres';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time and must not follow today's schema types.
    async up(db: Kysely<any>) {
      let table = db.schema
        .createTable('requests')
        .addColumn('id', t.text, (c) => (pg ? c.notNull() : c.primaryKey()))
        .addColumn('instance_id', t.text)
        .addColumn('request_id', t.text)
        .addColumn('generation_id', t.text)
        .addColumn('created_at', t.big, (c) => c.notNull())
        .addColumn('completed_at', t.big)
        .addColumn('module', t.text, (c) => c.notNull())
        .addColumn('user_id', t.text)
        .addColumn('key_id', t.text)
        .addColumn('tags', t.json)
        .addColumn('model_requested', t.text, (c) => c.notNull())
        .addColumn('model', t.text)
        .addColumn('provider', t.text)
        .addColumn('status', t.text, (c) => c.notNull())
        .addColumn('finish_reason', t.text)
        .addColumn('native_finish_reason', t.text)
        .addColumn('http_status', t.int)
        .addColumn('error_code', t.text)
        .addColumn('error_message', t.text)
        .addColumn('prompt_tokens', t.int)
        .addColumn('completion_tokens', t.int)
        .addColumn('reasoning_tokens', t.int)
        .addColumn('cached_tokens', t.int)
        .addColumn('cache_write_tokens', t.int)
        .addColumn('token_check', t.text)
        .addColumn('cost', t.big)
        .addColumn('cost_source', t.text)
        .addColumn('cost_known', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('estimated_cost', t.big)
        .addColumn('upstream_inference_cost', t.big)
        .addColumn('is_byok', t.flag)
        .addColumn('latency_ms', t.int)
        .addColumn('ttft_ms', t.int)
        .addColumn('streamed', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', t.int, (c) => c.notNull().defaultTo(0))
        .addColumn('upstream_latency_ms', t.int)
        .addColumn('generation_time_ms', t.int)
        .addColumn('provider_responses', t.json)
        .addColumn('reconciled_at', t.big)
        .addColumn('reconcile_attempts', t.int, (c) => c.notNull().defaultTo(0))
        .addColumn('next_reconcile_at', t.big)
        .addCheckConstraint(
          'requests_status_check',
          sql`status in ('pending', 'ok', 'error', 'filtered', 'cancelled', 'interrupted')`,
        )
        .addCheckConstraint(
          'requests_cost_source_check',
          sql`cost_source is null or cost_source in ('usage', 'estimate', 'generation')`,
        )
        .addCheckConstraint('requests_cost_known_check', sql`(cost is null) = (cost_known = 0)`);
      if (pg) {
        table = table
          .addPrimaryKeyConstraint('requests_pkey', ['id', 'created_at'])
          .modifyEnd(sql`partition by range (created_at)`);
      }
      await table.execute();
      if (pg) await sql`create table requests_default partition of requests default`.execute(db);

      await db.schema
        .createIndex('requests_generation_id_unique')
        .on('requests')
        .columns(pg ? ['generation_id', 'created_at'] : ['generation_id'])
        .unique()
        .where('generation_id', 'is not', null)
        .execute();
      await db.schema.createIndex('requests_created_at').on('requests').column('created_at').execute();
      await db.schema
        .createIndex('requests_user_created_at')
        .on('requests')
        .columns(['user_id', 'created_at desc'])
        .execute();
      await db.schema
        .createIndex('requests_pending_instance')
        .on('requests')
        .column('instance_id')
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('requests_reconcile_due')
        .on('requests')
        .column('next_reconcile_at')
        .where('next_reconcile_at', 'is not', null)
        .execute();

      await db.schema
        .createTable('request_bodies')
        .addColumn('request_id', t.text, (c) => c.primaryKey())
        .addColumn('created_at', t.big, (c) => c.notNull())
        .addColumn('request_body', t.text)
        .addColumn('response_body', t.text)
        .execute();
      await db.schema
        .createIndex('request_bodies_created_at')
        .on('request_bodies')
        .column('created_at')
        .execute();
    },
  };
}
