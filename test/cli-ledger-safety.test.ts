import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerRow, openLedger } from '../src/ledger/index.ts';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { type CliWorld, json, MODEL, startCliWorld } from './cli-helpers.ts';

/**
 * The CLI must never spend or corrupt ledger state because of a bad environment: an outage or a
 * rejected key during `reconcile`, a mistyped --db, a database that cannot be opened.
 */

let world: CliWorld;
let strictSim: RunningSimulator;

beforeAll(async () => {
  world = await startCliWorld();
  // Knows only the keys it issued: the world's key gets a 401 here.
  strictSim = await startSimulator({ strictKeys: true });
});

afterAll(async () => {
  await strictSim.close();
  await world.close();
});

async function ledgerRows(db: string): Promise<LedgerRow[]> {
  const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null });
  try {
    return await ledger.reports.recent({ limit: 1000 });
  } finally {
    await ledger.close();
  }
}

describe('reconcile when OpenRouter cannot answer', () => {
  it('exits 1 naming the cause, stops early, and leaves every row its retries', async () => {
    for (const prompt of ['one', 'two', 'three']) {
      const chat = await world.run(['chat', prompt, '-m', MODEL]);
      expect(chat.code, chat.stderr).toBe(0);
    }
    // Completed rows become due for reconciliation 2 s after they complete.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const rejected = await world.run(['reconcile'], { env: { OPENROUTER_BASE_URL: strictSim.url } });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^tollgate reconcile: OpenRouter rejected the API key \(401/);
    expect(rejected.stderr).toMatch(/Stopped after 0 of 3 rows/);

    // Unreachable, again and again (the reviewer's cron every few seconds): never a miss.
    for (let run = 0; run < 3; run++) {
      const unreachable = await world.run(['reconcile', '--format', 'json'], {
        env: { OPENROUTER_BASE_URL: 'http://127.0.0.1:1/api/v1' },
      });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/cannot reach OpenRouter at http:\/\/127\.0\.0\.1:1\/api\/v1/);
      expect(json(unreachable)).toMatchObject({ claimed: 3, failed: 0, gaveUp: 0, released: 3 });
    }
    for (const row of await ledgerRows(world.db)) {
      expect(row).toMatchObject({ reconcileAttempts: 0, reconciledAt: null });
      expect(row.nextReconcileAt).not.toBeNull();
    }

    // OpenRouter is back: the same rows are reconciled at once.
    const back = await world.run(['reconcile', '--format', 'json']);
    expect(back.code, back.stderr).toBe(0);
    expect(json(back)).toMatchObject({ claimed: 3, reconciled: 3, failed: 0 });
  });
});
