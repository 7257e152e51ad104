import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceTooLowError, moneyFromUsd, Tollgate } from '../src/index.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';

let sim: RunningSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-balance-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const messages = [{ role: 'user' as const, content: 'Count the cost.' }];

describe('balance and bill', () => {
  it("refuses calls locally once the key's remaining limit cannot cover their worst case, and warns first", async () => {
    const key = sim.issueKey({ limit: 0.0005 });
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_object: object, message?: string) => void warnings.push(message ?? ''),
      error: () => undefined,
    };
    const tg = await Tollgate.open({
      apiKey: key,
      baseUrl: sim.url,
      db: join(dir, 'balance.db'),
      env: {},
      cwd: dir,
      reconcile: false,
      logger,
      lowBalanceWarningUsd: '0.0003',
    });
    try {
      await tg.balance();
      let refused: unknown;
      let calls = 0;
      while (refused === undefined && calls < 200) {
        calls += 1;
        await tg.chat({ model: 'openai/gpt-4o-mini', messages, max_tokens: 40 }).catch((error: unknown) => {
          refused = error;
        });
      }
      expect(refused).toBeInstanceOf(BalanceTooLowError);
      expect((refused as Error).message).toMatch(/remains on the OpenRouter key/);
      // Refused by tollgate, not by a 402 from upstream: nothing over the limit was sent.
      expect(sim.state.requests().filter((entry) => entry.status === 402)).toEqual([]);
      expect(warnings.some((message) => /balance is low/.test(message))).toBe(true);
      const balance = await tg.balance();
      expect(balance.key.limit).toBe(moneyFromUsd('0.0005'));
      expect(balance.key.limitRemaining).toBeGreaterThanOrEqual(0n);
    } finally {
      await tg.close();
    }
  });

  it("matches the ledger's daily spend with /activity and its total with /key usage", async () => {
    const tg = await Tollgate.open({
      apiKey: createSimulatorKey(),
      baseUrl: sim.url,
      db: join(dir, 'bill.db'),
      env: {},
      cwd: dir,
      reconcile: false,
    });
    try {
      for (const model of ['openai/gpt-4o-mini', 'google/gemini-2.5-flash', 'anthropic/claude-haiku-4.5']) {
        for (let i = 0; i < 3; i++) await tg.chat({ model, messages });
      }
      const comparison = await tg.compareWithBill({ byModel: true });
      expect(comparison.daily.mismatches).toBe(0);
      expect(comparison.daily.rows.length).toBe(3);
      expect(comparison.daily.totals.difference).toBe(0n);
      expect(comparison.key.difference).toBe(0n);
      expect(comparison.key.ledger).toBeGreaterThan(0n);
    } finally {
      await tg.close();
    }
  });
});
