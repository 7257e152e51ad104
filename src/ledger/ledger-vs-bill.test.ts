import { describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../shared/money.ts';
import { ledgerVsBill } from './ledger-vs-bill.ts';

describe('ledgerVsBill', () => {
  const ledger = [
    { day: '2025-01-01', model: 'a', spend: moneyFromUsd('1.5'), requests: 3 },
    { day: '2025-01-01', model: 'b', spend: moneyFromUsd('0.5'), requests: 1 },
    { day: '2025-01-02', model: 'a', spend: moneyFromUsd('2'), requests: 2 },
  ];
  const bill = [
    { date: '2025-01-01', model: 'a', usage: 1.5, requests: 3 },
    { date: '2025-01-01', model: 'b', usage: '0.4', requests: 1 },
    { date: '2025-01-03', model: 'a', usage: 0.25 },
  ];

  it('compares per day', () => {
    const report = ledgerVsBill(ledger, bill);
    expect(report.rows.map((row) => [row.day, row.status, row.differenceUsd])).toEqual([
      ['2025-01-01', 'ledger_higher', '0.1'],
      ['2025-01-02', 'ledger_higher', '2'],
      ['2025-01-03', 'bill_higher', '-0.25'],
    ]);
    expect(report.totals).toEqual({
      ledger: moneyFromUsd('4'),
      billed: moneyFromUsd('2.15'),
      difference: moneyFromUsd('1.85'),
    });
    expect(report.mismatches).toBe(3);
  });

  it('compares per day and model, within a tolerance', () => {
    const report = ledgerVsBill(ledger, bill, { byModel: true, tolerance: moneyFromUsd('0.1') });
    expect(report.rows.map((row) => [row.day, row.model, row.status])).toEqual([
      ['2025-01-01', 'a', 'match'],
      ['2025-01-01', 'b', 'match'],
      ['2025-01-02', 'a', 'ledger_higher'],
      ['2025-01-03', 'a', 'bill_higher'],
    ]);
    expect(report.rows[0]).toMatchObject({ ledgerRequests: 3, billedRequests: 3 });
  });
});
