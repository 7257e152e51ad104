import type { Kysely } from 'kysely';
import type { LedgerRow } from './ledger-types.ts';
import { ledgerRowFromDb } from './row-mapper.ts';
import type { Database } from './schema/database.ts';

export async function getRequest(db: Kysely<Database>, id: string): Promise<LedgerRow | undefined> {
  const row = await db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? ledgerRowFromDb(row) : undefined;
}

export async function getRequestByGenerationId(
  db: Kysely<Database>,
  generationId: string,
): Promise<LedgerRow | undefined> {
  const row = await db
    .selectFrom('requests')
    .selectAll()
    .where('generation_id', '=', generationId)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row ? ledgerRowFromDb(row) : undefined;
}

export async function getBodies(
  db: Kysely<Database>,
  id: string,
): Promise<{ request: string | null; response: string | null } | undefined> {
  const row = await db
    .selectFrom('request_bodies')
    .select(['request_body', 'response_body'])
    .where('request_id', '=', id)
    .executeTakeFirst();
  return row ? { request: row.request_body, response: row.response_body } : undefined;
}
