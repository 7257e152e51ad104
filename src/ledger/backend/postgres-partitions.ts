import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema/database.ts';

/**
 * Monthly range partitions of `requests` on `created_at` (epoch ms, UTC months), named
 * `requests_pYYYYMM`, plus `requests_default` for anything no month covers. Names and bounds are
 * computed from integers here, never from caller text, so they may be spliced into the DDL.
 */
export interface MonthPartition {
  name: string;
  fromMs: number;
  toMs: number;
}

const PARTITION_LOCK_KEY = 7_401_338_201;

export function monthPartitionOf(ms: number): MonthPartition {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const fromMs = Date.UTC(year, month, 1);
  const toMs = Date.UTC(year, month + 1, 1);
  return { name: `requests_p${year}${String(month + 1).padStart(2, '0')}`, fromMs, toMs };
}

export function parsePartitionName(name: string): MonthPartition | undefined {
  const match = /^requests_p(\d{4})(\d{2})$/.exec(name);
  if (!match) return undefined;
  return monthPartitionOf(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
}

export async function listRequestPartitions(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select child.relname as name from pg_inherits
    join pg_class parent on parent.oid = pg_inherits.inhparent
    join pg_class child on child.oid = pg_inherits.inhrelid
    join pg_namespace ns on ns.oid = parent.relnamespace
    where parent.relname = 'requests' and ns.nspname = current_schema()
    order by child.relname`.execute(db);
  return result.rows.map((row) => row.name);
}

/** Creates the missing month partitions, one transaction under an advisory lock (replicas race here). */
export async function createMonthPartitions(
  db: Kysely<Database>,
  months: readonly MonthPartition[],
): Promise<void> {
  if (months.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${PARTITION_LOCK_KEY})`.execute(trx);
    const existing = new Set(await listRequestPartitions(trx));
    for (const month of months) {
      if (existing.has(month.name)) continue;
      await sql`create table ${sql.id(month.name)} partition of requests for values from (${sql.lit(
        month.fromMs,
      )}) to (${sql.lit(month.toMs)})`.execute(trx);
    }
  });
}

export async function dropPartitionsBefore(
  db: Kysely<Database>,
  beforeMs: number,
): Promise<{ partitionsDropped: string[]; rowsDeleted: number }> {
  const dropped: string[] = [];
  for (const name of await listRequestPartitions(db)) {
    const month = parsePartitionName(name);
    if (!month || month.toMs > beforeMs) continue;
    await sql`drop table if exists ${sql.id(name)}`.execute(db);
    dropped.push(name);
  }
  const result = await db.deleteFrom('requests').where('created_at', '<', beforeMs).executeTakeFirst();
  return { partitionsDropped: dropped, rowsDeleted: Number(result.numDeletedRows) };
}
