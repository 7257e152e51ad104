import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { openLedger } from '../open-ledger.ts';
import { coarseEntries } from '../rollup/coarse-rollup.ts';
import { ROLLUP_COUNTERS, type RollupCounters, type RollupEntry } from '../rollup/rollup-delta.ts';
import {
  MAX_ROLLUP_STATEMENTS,
  MAX_STATEMENTS_PER_SHAPE,
  sqliteWriteStatements,
} from './sqlite-statements.ts';
import type { CompletionValues, PendingRowValues } from './write-ops.ts';

/** Runs `test` on a migrated, empty ledger file opened bare, and removes the file afterwards. */
async function withMigratedDatabase(test: (database: BetterSqlite3.Database) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sqlite-statements-'));
  try {
    const path = join(dir, 'ledger.db');
    const ledger = await openLedger({ url: path, spoolDir: null, heartbeatMs: 0, reconcileAfterMs: null });
    await ledger.close();
    const database = new BetterSqlite3(path);
    try {
      test(database);
    } finally {
      database.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counters that are non-zero exactly where `mask` has a bit, each value its own. */
function countersFor(mask: number, seed: number): RollupCounters {
  const counters = {} as RollupCounters;
  ROLLUP_COUNTERS.forEach((name, index) => {
    counters[name] = (mask & (1 << index)) !== 0 ? BigInt(seed * 100 + index + 1) : 0n;
  });
  return counters;
}

function entry(cell: number, counters: RollupCounters): RollupEntry {
  return {
    key: {
      day: '2026-11-22',
      module: `m${cell % 3}`,
      user_id: `u${cell}`,
      model: 'a/x',
      provider: 'P',
      key_id: '',
    },
    counters,
  };
}

describe('sqlite: rollup upserts', () => {
  it('adds every changed counter, with a bounded set of statements however many counter sets occur', async () => {
    await withMigratedDatabase((database) => {
      const prepare = vi.spyOn(database, 'prepare');
      const statements = sqliteWriteStatements(database);
      // Twice as many distinct counter sets as statements kept: the later ones take the fallback.
      const cells = MAX_ROLLUP_STATEMENTS * 2;
      const first = Array.from({ length: cells }, (_, cell) => entry(cell, countersFor(cell + 1, 1)));
      // The second pass moves other counters of the same cells (inserted above, updated here), some
      // of them down, as a re-costing does.
      const second = Array.from({ length: cells }, (_, cell) => {
        const counters = countersFor((cell * 7919) % (1 << ROLLUP_COUNTERS.length) || 1, 2);
        if (cell % 2 === 0) counters.cost_sum = -counters.cost_sum;
        return entry(cell, counters);
      });
      for (const batch of [first, second]) {
        statements.begin();
        statements.upsertRollup(batch, coarseEntries(batch));
        statements.commit();
      }

      const stored = database.prepare(`select * from rollup_daily`).safeIntegers().all() as Array<
        Record<string, bigint | string>
      >;
      expect(stored).toHaveLength(cells);
      for (const row of stored) {
        const cell = Number(String(row.user_id).slice(1));
        const want = first[cell]?.counters as RollupCounters;
        const then = second[cell]?.counters as RollupCounters;
        for (const name of ROLLUP_COUNTERS)
          expect([cell, name, row[name]]).toEqual([cell, name, want[name] + then[name]]);
      }
      const coarse = database
        .prepare(`select module, ${ROLLUP_COUNTERS.join(', ')} from rollup_daily_coarse order by module`)
        .safeIntegers()
        .all() as Array<Record<string, bigint | string>>;
      const summed = coarseEntries([...first, ...second]).sort((a, b) =>
        a.key.module < b.key.module ? -1 : 1,
      );
      expect(coarse).toEqual(summed.map((cell) => ({ module: cell.key.module, ...cell.counters })));

      const rollupStatements = prepare.mock.calls.filter(([text]) => /insert into rollup_daily /.test(text));
      expect(rollupStatements.length).toBeLessThanOrEqual(MAX_ROLLUP_STATEMENTS + 1);
    });
  });
});

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
  it('writes every column of rows with many distinct column sets, keeping a bounded set of statements', async () => {
    await withMigratedDatabase((database) => {
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
    });
  });
});
