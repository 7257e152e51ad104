import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, seededRandom, useLedgerDatabases } from '../../test/helpers/ledger-dialects.ts';
import { uuidv7 } from '../shared/ids.ts';
import { moneyFromUsd } from '../shared/money.ts';
import {
  type ImportRow,
  type Ledger,
  REPORT_DIMENSIONS,
  type ReportDimension,
  type ReportFilters,
  type ReportRow,
} from './index.ts';

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 27); // a Monday; the data spans into March
const HOSTILE = [
  "x'); DROP TABLE requests; --",
  '" OR 1=1 --',
  "a/b') OR ('1'='1",
  "Robert'); DELETE FROM rollup_daily WHERE ('1'='1",
];

interface Expected {
  requests: number;
  errors: number;
  unknown: number;
  spend: bigint;
  prompt: number;
  latencySum: number;
  latencyCount: number;
}

function dimensionOf(row: ImportRow, dim: ReportDimension): string | null {
  const created = new Date(row.createdAt ?? 0);
  const day = created.toISOString().slice(0, 10);
  switch (dim) {
    case 'module':
      return row.module;
    case 'user':
      return row.userId ?? null;
    case 'model':
      return row.model ?? row.modelRequested;
    case 'provider':
      return row.provider ?? null;
    case 'key':
      return row.keyId ?? null;
    case 'day':
      return day;
    case 'month':
      return day.slice(0, 7);
    case 'week': {
      const monday = Date.UTC(created.getUTCFullYear(), created.getUTCMonth(), created.getUTCDate());
      return new Date(monday - ((created.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
    }
  }
}

function matches(row: ImportRow, filters: ReportFilters, range: { since?: number; until?: number }): boolean {
  const created = row.createdAt ?? 0;
  if (range.since !== undefined && created < range.since) return false;
  if (range.until !== undefined && created >= range.until) return false;
  for (const dim of ['module', 'user', 'model', 'provider', 'key'] as const) {
    const wanted = filters[dim];
    if (wanted === undefined) continue;
    const values: readonly string[] = typeof wanted === 'string' ? [wanted] : wanted;
    const value = dimensionOf(row, dim);
    if (value === null || !values.includes(value)) return false;
  }
  if (filters.status !== undefined) {
    const statuses: readonly string[] =
      typeof filters.status === 'string' ? [filters.status] : filters.status;
    if (!statuses.includes(row.status)) return false;
  }
  return true;
}

/** The report computed the plain way, from the rows in memory. */
function expected(
  rows: readonly ImportRow[],
  groupBy: readonly ReportDimension[],
  filters: ReportFilters = {},
  range: { since?: number; until?: number } = {},
): Map<string, Expected> {
  const cells = new Map<string, Expected>();
  for (const row of rows) {
    if (!matches(row, filters, range)) continue;
    const key = JSON.stringify(groupBy.map((dim) => dimensionOf(row, dim)));
    const cell = cells.get(key) ?? {
      requests: 0,
      errors: 0,
      unknown: 0,
      spend: 0n,
      prompt: 0,
      latencySum: 0,
      latencyCount: 0,
    };
    cell.requests += 1;
    cell.errors += row.status === 'error' ? 1 : 0;
    cell.unknown += row.cost === null ? 1 : 0;
    cell.spend += row.cost ?? 0n;
    cell.prompt += row.usage?.promptTokens ?? 0;
    if (typeof row.latencyMs === 'number') {
      cell.latencySum += row.latencyMs;
      cell.latencyCount += 1;
    }
    cells.set(key, cell);
  }
  return cells;
}

function actual(rows: readonly ReportRow[], groupBy: readonly ReportDimension[]): Map<string, Expected> {
  return new Map(
    rows.map((row) => [
      JSON.stringify(groupBy.map((dim) => row.group[dim] ?? null)),
      {
        requests: row.requests,
        errors: row.errors,
        unknown: row.unknownCostCount,
        spend: row.spend,
        prompt: row.promptTokens,
        latencySum: row.avgLatencyMs === null ? 0 : Math.round(row.avgLatencyMs * 1e6),
        latencyCount: row.avgLatencyMs === null ? 0 : 1,
      },
    ]),
  );
}

function normalised(cells: Map<string, Expected>): Map<string, Expected> {
  return new Map(
    [...cells].map(([key, cell]) => [
      key,
      {
        ...cell,
        latencySum: cell.latencyCount === 0 ? 0 : Math.round((cell.latencySum / cell.latencyCount) * 1e6),
        latencyCount: cell.latencyCount === 0 ? 0 : 1,
      },
    ]),
  );
}

function dataset(): ImportRow[] {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: 400 }, () => {
    const createdAt = START + Math.floor(random() * 40 * DAY);
    const status = pick(['ok', 'ok', 'ok', 'error', 'filtered', 'cancelled', 'interrupted'] as const);
    return {
      id: uuidv7(createdAt),
      createdAt,
      module: pick(['summarize', 'extract', HOSTILE[0] as string]),
      userId: pick(['u1', 'u2', null, HOSTILE[1] as string]),
      keyId: pick(['k1', 'k2', null]),
      modelRequested: pick(['a/x', HOSTILE[2] as string]),
      model: pick([null, 'a/x-001', 'b/y']),
      provider: pick([null, 'P1', HOSTILE[3] as string]),
      status,
      cost: random() < 0.15 ? null : BigInt(Math.floor(random() * 5e11)),
      costSource: 'usage',
      estimatedCost: random() < 0.3 ? null : BigInt(Math.floor(random() * 5e11)),
      usage: { promptTokens: Math.floor(random() * 2000) },
      latencyMs: random() < 0.2 ? null : Math.floor(random() * 3000),
      tags: random() < 0.2 ? { batch: 'nightly', "quote'd": 'a"b', n: 1 } : null,
    };
  });
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: reports`, () => {
    const dbs = useLedgerDatabases(dialect);
    const rows = dataset();
    let ledger: Ledger;

    beforeAll(async () => {
      ledger = await dbs.open();
      expect(await ledger.importRows(rows)).toBe(rows.length);
    });

    it('groups by every dimension and every pair, from the rollup and from the rows', async () => {
      const groupings: ReportDimension[][] = [[]];
      for (const a of REPORT_DIMENSIONS) {
        groupings.push([a]);
        for (const b of REPORT_DIMENSIONS) if (a < b) groupings.push([a, b]);
      }
      groupings.push([...REPORT_DIMENSIONS]);
      for (const groupBy of groupings) {
        const want = normalised(expected(rows, groupBy));
        const fromRollup = await ledger.reports.spend({ groupBy });
        expect(fromRollup.source).toBe('rollup');
        expect(actual(fromRollup.rows, groupBy), `rollup by ${groupBy.join(',')}`).toEqual(want);
        const fromRows = await ledger.reports.spend({ groupBy, source: 'requests' });
        expect(actual(fromRows.rows, groupBy), `requests by ${groupBy.join(',')}`).toEqual(want);
      }
    });

    it('filters by every dimension, status and range; injection strings are only data', async () => {
      const cases: Array<{ filters: ReportFilters; since?: number; until?: number }> = [
        { filters: { module: 'summarize' } },
        { filters: { module: HOSTILE[0] as string } },
        { filters: { user: ['u1', HOSTILE[1] as string] } },
        { filters: { model: HOSTILE[2] as string } },
        { filters: { model: 'b/y', provider: 'P1' } },
        { filters: { provider: HOSTILE[3] as string } },
        { filters: { key: 'k2' } },
        { filters: { status: 'error' } },
        { filters: { status: ['ok', 'filtered'], key: 'k1' } },
        { filters: {}, since: START + 3 * DAY, until: START + 20 * DAY },
        { filters: { user: 'u2' }, since: START + 3 * DAY + 3_600_000, until: START + 20 * DAY - 1 },
        { filters: { module: "summarize' OR '1'='1" } },
        { filters: { user: ['; DROP TABLE rollup_daily; --'] } },
      ];
      for (const { filters, since, until } of cases) {
        for (const groupBy of [['module'], ['day', 'user'], ['month']] as ReportDimension[][]) {
          const want = normalised(expected(rows, groupBy, filters, { since, until }));
          const report = await ledger.reports.spend({ groupBy, filters, since, until });
          const label = `${JSON.stringify(filters)} ${since ?? ''}-${until ?? ''} by ${groupBy.join(',')}`;
          expect(actual(report.rows, groupBy), label).toEqual(want);
          const aligned = (since ?? 0) % DAY === 0 && (until ?? 0) % DAY === 0;
          expect(report.source, label).toBe(filters.status === undefined && aligned ? 'rollup' : 'requests');
        }
      }
      // The hostile values came back as data, and nothing was dropped or deleted.
      const byModule = await ledger.reports.spend({ groupBy: ['module'] });
      expect(byModule.rows.map((row) => row.group.module)).toContain(HOSTILE[0]);
      expect((await ledger.reports.spend()).rows[0]?.requests).toBe(rows.length);
      expect(await ledger.reports.recent({ limit: 1000 })).toHaveLength(rows.length);
    });

    it('refuses unknown dimensions, statuses and limits instead of building SQL from them', async () => {
      await expect(
        ledger.reports.spend({ groupBy: ['module; drop table requests' as ReportDimension] }),
      ).rejects.toMatchObject({ code: 'ledger_invalid_input' });
      await expect(ledger.reports.spend({ filters: { status: "ok' or 1=1" as 'ok' } })).rejects.toMatchObject(
        { code: 'ledger_invalid_input' },
      );
      await expect(ledger.reports.recent({ limit: 0 })).rejects.toMatchObject({
        code: 'ledger_invalid_input',
      });
      await expect(
        ledger.reports.spend({ since: '1; drop table requests' as unknown as number }),
      ).rejects.toMatchObject({ code: 'ledger_invalid_input' });
      await expect(ledger.reports.spend({ source: 'rollup', filters: { status: 'ok' } })).rejects.toThrow(
        /rollup/,
      );
    });

    it('lists recent requests newest first, filtered, limited (the per-user drill-down)', async () => {
      const recent = await ledger.reports.recent({ filters: { user: HOSTILE[1] as string }, limit: 7 });
      const want = rows
        .filter((row) => row.userId === HOSTILE[1])
        .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || (a.id < b.id ? 1 : -1))
        .slice(0, 7);
      expect(recent.map((row) => row.id)).toEqual(want.map((row) => row.id));
      expect(recent.map((row) => row.tags)).toEqual(want.map((row) => row.tags ?? null));
      const errors = await ledger.reports.recent({
        filters: { status: 'error', module: 'extract' },
        limit: 1000,
      });
      expect(errors.every((row) => row.status === 'error' && row.module === 'extract')).toBe(true);
      expect(errors).toHaveLength(
        rows.filter((row) => row.status === 'error' && row.module === 'extract').length,
      );
    });

    it('reports estimate-vs-billed drift per model', async () => {
      const drift = await ledger.reports.driftByModel();
      const want = new Map<string, { requests: number; estimated: bigint; billed: bigint }>();
      for (const row of rows) {
        if (row.cost === null || row.estimatedCost === null || row.estimatedCost === undefined) continue;
        const model = row.model ?? row.modelRequested;
        const cell = want.get(model) ?? { requests: 0, estimated: 0n, billed: 0n };
        cell.requests += 1;
        cell.estimated += row.estimatedCost;
        cell.billed += row.cost;
        want.set(model, cell);
      }
      expect(
        new Map(
          drift.map((row) => [
            row.model,
            { requests: row.requests, estimated: row.estimated, billed: row.billed },
          ]),
        ),
      ).toEqual(want);
      for (const row of drift) expect(row.drift).toBe(row.billed - row.estimated);
    });

    it('gives spend per key per day and compares it with the bill', async () => {
      const perKey = await ledger.reports.spendPerKeyPerDay({ since: START, until: START + 5 * DAY });
      const want = expected(rows, ['day', 'key'], {}, { since: START, until: START + 5 * DAY });
      expect(perKey).toHaveLength(want.size);
      for (const row of perKey) {
        expect(row.spend).toBe(want.get(JSON.stringify([row.day, row.keyId]))?.spend);
      }
      const days = expected(rows, ['day'], { key: 'k1' }, { since: START, until: START + 3 * DAY });
      const bill = [...days]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, cell], index) => ({
          date: JSON.parse(key)[0] as string,
          usage: (Number(cell.spend) / 1e12 + (index === 1 ? 0.01 : 0)).toFixed(12),
        }));
      const comparison = await ledger.compareWithBill(bill, { keyId: 'k1' });
      expect(comparison.rows).toHaveLength(3);
      expect(comparison.mismatches).toBe(1);
      expect(comparison.rows[1]).toMatchObject({ status: 'bill_higher', difference: -moneyFromUsd('0.01') });
      expect(comparison.rows[0]?.status).toBe('match');
    });
  });
}
