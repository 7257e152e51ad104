import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tollgate } from '../src/index.ts';
import { moneyFromUsd, sumMoney } from '../src/shared/money.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { DIALECTS, seededRandom, useLedgerDatabases } from './helpers/ledger-dialects.ts';

const MODULES = ['summarize', 'extract', 'chat'];
const USERS = ['u-1', 'u-2', 'u-3', 'u-4', 'u-5'];
const MODELS = [
  'openai/gpt-4o-mini',
  'google/gemini-2.5-flash',
  'anthropic/claude-haiku-4.5',
  'deepseek/deepseek-r1',
];
/** Faults with a definite bill: refused (not billed), retried, or finished oddly (billed what was produced). */
const PLAIN_FAULTS = ['400', '402', '500', 'content-filter', 'length', 'finish-error', 'provider-fallback'];
const STREAM_FAULTS = ['mid-stream-error', 'content-filter', 'length', 'provider-fallback', '503'];
const CALLS = 300;

for (const dialect of DIALECTS) {
  describe(`${dialect}: the ledger against the simulator's bill`, () => {
    const databases = useLedgerDatabases(dialect);
    let sim: RunningSimulator;
    beforeAll(async () => {
      sim = await startSimulator({ generationLagMs: 50 });
    });
    afterAll(async () => {
      await sim.close();
    });

    it(`records ${CALLS} calls across modules, users and models, faults included: one row each, totals equal to the cent`, async () => {
      const key = createSimulatorKey();
      const tg = await Tollgate.open({
        apiKey: key,
        baseUrl: sim.url,
        db: await databases.url(),
        env: {},
        cwd: databases.folder(),
        maxRetries: 1,
        reconcile: false,
        ledger: { reconcileAfterMs: 0, heartbeatMs: 0, spoolDir: null },
      });
      try {
        const random = seededRandom(dialect === 'sqlite' ? 7 : 11);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
        let resolved = 0;
        let failed = 0;
        const ids = new Set<string>();
        for (let start = 0; start < CALLS; start += 25) {
          await Promise.all(
            Array.from({ length: Math.min(25, CALLS - start) }, async (_unused, offset) => {
              const index = start + offset;
              const streamed = index % 3 === 0;
              if (random() < 0.2) sim.queueFaults(key, [pick(streamed ? STREAM_FAULTS : PLAIN_FAULTS)]);
              const request = {
                module: pick(MODULES),
                user: pick(USERS),
                model: pick(MODELS),
                messages: [
                  { role: 'user' as const, content: `Question ${index}: ${'why '.repeat(1 + (index % 7))}?` },
                ],
                max_tokens: 40 + (index % 60),
                acceptFinishReasons: ['content_filter', 'error'] as const,
              };
              try {
                const result = streamed ? await drain(tg, request) : await tg.chat(request);
                ids.add(result.id);
                resolved += 1;
              } catch {
                failed += 1;
              }
            }),
          );
        }
        expect(resolved + failed).toBe(CALLS);
        expect(failed).toBeGreaterThan(0);

        // Rows whose cost the response did not carry (a broken stream) are settled from /generation.
        await tg.reconcileNow({ rounds: 20 });
        const rows = await tg.ledger.reports.recent({ limit: 1000 });
        expect(rows).toHaveLength(CALLS);
        for (const id of ids) expect(rows.some((row) => row.id === id)).toBe(true);
        expect(rows.filter((row) => row.status === 'pending')).toEqual([]);
        expect(rows.filter((row) => row.cost === null)).toEqual([]);

        const billed = moneyFromUsd(sim.state.account(key)?.totalUsageExact ?? 'unknown');
        const credits = await tg.client.credits.get();
        expect(moneyFromUsd(credits.data.total_usage)).toBe(billed);
        expect(sumMoney(rows.map((row) => row.cost ?? 0n))).toBe(billed);
        const report = await tg.ledger.reports.spend({ groupBy: [] });
        expect(report.rows[0]?.spend).toBe(billed);
        const byModule = await tg.ledger.reports.spend({ groupBy: ['module', 'user', 'model'] });
        expect(sumMoney(byModule.rows.map((row) => row.spend))).toBe(billed);
      } finally {
        await tg.close();
      }
    });
  });
}

async function drain(tg: Tollgate, request: Parameters<Tollgate['stream']>[0]) {
  const stream = tg.stream(request);
  for await (const _part of stream) {
    // The parts are not needed; the result is.
  }
  return await stream.result;
}
