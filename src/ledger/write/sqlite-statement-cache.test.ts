import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLedger } from '../open-ledger.ts';
import { MAX_STATEMENTS_PER_SHAPE, sqliteWriteStatements } from './sqlite-statements.ts';
import type { CompletionValues, PendingRowValues } from './write-ops.ts';

/** A migrated, empty ledger file, opened bare. */
async function migratedDatabase(dir: string): Promise<BetterSqlite3.Database> {
  const path = join(dir, 'ledger.db');
  const ledger = await openLedger({ url: path, spoolDir: null, heartbeatMs: 0, reconcileAfterMs: null });
  await ledger.close();
  return new BetterSqlite3(path);
}

/** Completion columns a completion may leave NULL, each with a value of its own per row. */
const OPTIONAL: ReadonlyArray<[keyof CompletionValues, (row: number) => string | number]> = [
  ['generation_id', (row) => `gen-1795358728-row${row}`],
  ['model', (row) => `vendor/model-${row}`],
  ['provider', (row) => `Provider${row}`],
  ['finish_reason', (row) => `stop${row}`],
  ['native_finish_reason', (row) => `native${row}`],
  ['http_status', (row) => 200 + row],
  ['error_code', (row) => `code${row}`],
  ['error_message', (row) => `message ${row}`],
  ['prompt_tokens', (row) => row + 1],
  ['completion_tokens', (row) => row + 2],
  ['reasoning_tokens', (row) => row + 3],
  ['cached_tokens', (row) => row + 4],
  ['cache_write_tokens', (row) => row + 5],
  ['token_check', (row) => `check${row}`],
  ['upstream_inference_cost', (row) => row * 1000 + 7],
  ['is_byok', (row) => row % 2],
  ['latency_ms', (row) => row + 6],
  ['ttft_ms', (row) => row + 8],
  ['next_reconcile_at', (row) => 1_795_358_728_000 + row],
];

function pending(row: number): PendingRowValues {
  return {
    id: `row-${String(row).padStart(4, '0')}`,
    instance_id: 'instance',
    request_id: null,
    created_at: 1_795_358_728_000 + row,
    module: 'm',
    user_id: row % 3 === 0 ? null : `u${row}`,
    key_id: row % 5 === 0 ? `k${row}` : null,
    tags: row % 7 === 0 ? '["t"]' : null,
    model_requested: 'vendor/model',
    status: 'pending',
    streamed: row % 2,
    estimated_cost: row % 4 === 0 ? null : BigInt(row),
  };
}

/** A completion holding exactly the optional columns of `mask`, NULL in the others. */
function completion(row: number, mask: number): CompletionValues {
  const values: Record<string, unknown> = {
    completed_at: 1_795_358_729_000 + row,
    status: 'ok',
    cost: row % 2 === 0 ? BigInt(row * 10) : null,
    cost_known: row % 2 === 0 ? 1 : 0,
    cost_source: row % 2 === 0 ? 'usage' : null,
    estimated_cost: null,
    attempts: 1,
  };
  OPTIONAL.forEach(([name, value], bit) => {
    values[name] = (mask & (1 << bit)) !== 0 ? value(row) : null;
  });
  return values as unknown as CompletionValues;
}

describe('sqlite: hot-path statements per column set', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every column of rows with many distinct column sets, keeping a bounded set of statements', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-statement-cache-'));
    const database = await migratedDatabase(dir);
    try {
      const prepare = vi.spyOn(database, 'prepare');
      const statements = sqliteWriteStatements(database);
      // Three times as many column sets as statements kept, and then the first ones again: those
      // were dropped meanwhile and must be prepared afresh, not served a stale statement.
      const rows = MAX_STATEMENTS_PER_SHAPE * 3;
      const maskOf = (row: number) => ((row * 40_503) % (1 << OPTIONAL.length)) + 1;
      const order = [
        ...Array.from({ length: rows }, (_, row) => row),
        ...Array.from({ length: 8 }, (_, i) => rows + i),
      ];
      const written = new Map<string, { begun: PendingRowValues; done: CompletionValues }>();
      statements.begin();
      for (const row of order) {
        const begun = pending(row);
        const done = completion(row, maskOf(row % rows));
        expect(statements.insertPending(begun)).toBe(true);
        // Rows begun by another process carry no attribution: the statement reads it back.
        const attribution = statements.completePending({
          kind: 'complete',
          id: begun.id,
          values: done,
          ...(row % 2 === 0 ? { begun } : {}),
        });
        expect(attribution).toMatchObject({ id: begun.id, user_id: begun.user_id, module: 'm' });
        written.set(begun.id, { begun, done });
      }
      statements.commit();

      const stored = database.prepare('select * from requests order by id').safeIntegers().all() as Array<
        Record<string, unknown>
      >;
      expect(stored).toHaveLength(order.length);
      const asStored = (value: unknown) => (typeof value === 'number' ? BigInt(value) : value);
      for (const row of stored) {
        const { begun, done } = written.get(row.id as string) as {
          begun: PendingRowValues;
          done: CompletionValues;
        };
        for (const [name, value] of Object.entries(begun)) {
          if (name === 'status' || name === 'estimated_cost') continue;
          expect([row.id, name, row[name]]).toEqual([row.id, name, asStored(value)]);
        }
        for (const [name, value] of Object.entries(done)) {
          // A NULL estimate in a completion keeps the one the row was begun with.
          const want = name === 'estimated_cost' ? begun.estimated_cost : value;
          expect([row.id, name, row[name]]).toEqual([row.id, name, asStored(want)]);
        }
      }

      // Each completion shape (plain, and returning for the odd rows) met rows / 2 distinct column
      // sets, more than it keeps; the last eight rows reuse the first eight sets, dropped by then,
      // so each is prepared again. Without the bound those would be served from the cache.
      const completions = prepare.mock.calls.filter(([text]) => /^update requests set/.test(text));
      expect(completions.length).toBe(rows + 8);
    } finally {
      database.close();
    }
  });
});
