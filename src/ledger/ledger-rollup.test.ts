import { describe, expect, it } from 'vitest';
import {
  DIALECTS,
  manualClock,
  seededRandom,
  useLedgerDatabases,
} from '../../test/helpers/ledger-dialects.ts';
import type { Ledger, LedgerRow, ReportRow, RequestOutcome } from './index.ts';

const ALL = ['day', 'module', 'user', 'model', 'provider', 'key'] as const;

/** The rollup cells computed by hand from the rows themselves. */
function expectedCells(rows: readonly LedgerRow[]) {
  const cells = new Map<
    string,
    { requests: number; spend: bigint; unknown: number; errors: number; prompt: number }
  >();
  for (const row of rows) {
    if (row.status === 'pending') continue;
    const key = [
      new Date(row.createdAt).toISOString().slice(0, 10),
      row.module,
      row.userId,
      row.model ?? row.modelRequested,
      row.provider,
      row.keyId,
    ].join('|');
    const cell = cells.get(key) ?? { requests: 0, spend: 0n, unknown: 0, errors: 0, prompt: 0 };
    cell.requests += 1;
    cell.spend += row.cost ?? 0n;
    cell.unknown += row.cost === null ? 1 : 0;
    cell.errors += row.status === 'error' ? 1 : 0;
    cell.prompt += row.promptTokens ?? 0;
    cells.set(key, cell);
  }
  return cells;
}

function reportCells(rows: readonly ReportRow[]) {
  return new Map(
    rows.map((row) => [
      ALL.map((dim) => row.group[dim]).join('|'),
      {
        requests: row.requests,
        spend: row.spend,
        unknown: row.unknownCostCount,
        errors: row.errors,
        prompt: row.promptTokens,
      },
    ]),
  );
}

async function allRows(ledger: Ledger): Promise<LedgerRow[]> {
  return await ledger.reports.recent({ limit: 1000 });
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: rollup`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('equals the sum of its rows after random completions, interruptions and re-costing', async () => {
      const random = seededRandom(20250115);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const clock = manualClock(Date.UTC(2025, 0, 30, 20));
      const ledger = await dbs.open({ clock, stalePendingMs: 3_600_000 });
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 240 }, async (_, index) => {
          const createdAt = clock.now() - Math.floor(random() * 3 * 86_400_000);
          const { id } = await ledger.begin({
            createdAt,
            module: pick(['summarize', 'extract', 'chat']),
            userId: pick(['u1', 'u2', null]),
            keyId: pick(['k1', null]),
            modelRequested: pick(['a/x', 'b/y']),
          });
          ids.push(id);
          if (index % 12 === 0) return; // left pending, then interrupted
          const outcome: RequestOutcome = {
            status: pick(['ok', 'ok', 'ok', 'error', 'filtered', 'cancelled']),
            model: pick([null, 'a/x-001', 'b/y']),
            provider: pick([null, 'P1', 'P2']),
            generationId: `gen-${index}`,
            usage: {
              promptTokens: Math.floor(random() * 1000),
              completionTokens: Math.floor(random() * 500),
            },
            cost: random() < 0.2 ? null : BigInt(Math.floor(random() * 1e12)),
            costSource: 'usage',
            estimatedCost: BigInt(Math.floor(random() * 1e12)),
            latencyMs: Math.floor(random() * 5000),
          };
          await ledger.complete(id, outcome);
        }),
      );
      clock.advance(4 * 86_400_000);
      expect(await ledger.sweepInterrupted()).toBe(20);
      // Re-cost a random third through reconciliation, with other tokens and providers.
      for (const id of ids.filter(() => random() < 0.33)) {
        await ledger.reconciliation.applyGeneration(
          id,
          {
            id: 'gen',
            total_cost: random() < 0.5 ? random() * 0.5 : 0.000123,
            native_tokens_prompt: Math.floor(random() * 900),
            provider_name: 'Reconciled',
          },
          clock.now(),
        );
      }
      const rows = await allRows(ledger);
      expect(rows).toHaveLength(240);
      const fromRollup = await ledger.reports.spend({ groupBy: ALL, source: 'rollup' });
      const fromRequests = await ledger.reports.spend({ groupBy: ALL, source: 'requests' });
      expect(fromRollup.source).toBe('rollup');
      expect(reportCells(fromRollup.rows)).toEqual(expectedCells(rows));
      expect(reportCells(fromRequests.rows)).toEqual(expectedCells(rows));
    });
  });
}
