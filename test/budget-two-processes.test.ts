import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { moneyFromUsd, sumMoney } from '../src/shared/money.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { runScript } from './helpers/child.ts';
import { DIALECTS, useLedgerDatabases } from './helpers/ledger-dialects.ts';

const LOOP = fileURLToPath(new URL('./fixtures/library-call-loop.ts', import.meta.url));
const BUDGET_USD = '0.0008';

describe.runIf(DIALECTS.includes('postgres'))('two processes, one PostgreSQL ledger, one budget', () => {
  const databases = useLedgerDatabases('postgres');
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ firstTokenMs: 5, generationLagMs: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('never lets the shared budget be exceeded, with many calls in flight in both', async () => {
    const db = await databases.url();
    const key = createSimulatorKey();
    const env = { SIM_URL: sim.url, KEY: key, DB: db, CONCURRENCY: '16', BUDGET_USD, MAX_CALLS: '150' };
    const processes = [runScript(LOOP, env), runScript(LOOP, env)];
    const codes = await Promise.all(processes.map((process) => process.exited));
    expect(codes).toEqual([0, 0]);

    const returned = processes.flatMap((process) =>
      process.lines.filter((line) => line.startsWith('ok ')).map((line) => line.slice(3)),
    );
    const refused = processes.map(
      (process) => process.lines.filter((line) => line === 'refused budget_exceeded').length,
    );
    // Both processes ran into the budget: the contention was real.
    expect(refused[0]).toBeGreaterThan(0);
    expect(refused[1]).toBeGreaterThan(0);

    const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null });
    try {
      const rows = await ledger.reports.recent({ limit: 1000 });
      const spent = sumMoney(rows.map((row) => row.cost ?? 0n));
      expect(spent).toBeLessThanOrEqual(moneyFromUsd(BUDGET_USD));
      // …and was used nearly to the end, not refused wholesale.
      expect(spent * 10n).toBeGreaterThan(moneyFromUsd(BUDGET_USD) * 8n);
      expect(spent).toBe(moneyFromUsd(sim.state.account(key)?.totalUsageExact ?? 'x'));
      // Every call that returned is there, once; nothing else was sent.
      expect(rows.map((row) => row.id).sort()).toEqual([...returned].sort());
      const [budget] = await ledger.budgets.list();
      const [check] = await ledger.budgets.status({});
      expect(budget?.limit).toBe(moneyFromUsd(BUDGET_USD));
      expect(check?.spent).toBe(spent);
    } finally {
      await ledger.close();
    }
  });
});
