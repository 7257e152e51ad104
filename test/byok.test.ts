import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { moneyFromUsd, Tollgate } from '../src/index.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';

let sim: RunningSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-byok-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

it("records a BYOK call's OpenRouter fee and the provider's own charge separately, and reports both", async () => {
  const tg = await Tollgate.open({
    apiKey: createSimulatorKey({ byok: true }),
    baseUrl: sim.url,
    db: join(dir, 'byok.db'),
    env: {},
    cwd: dir,
    reconcile: false,
  });
  try {
    const result = await tg.chat({
      module: 'byok',
      model: 'anthropic/claude-haiku-4.5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const billed = sim.state.generation(result.generationId ?? '');
    const row = await tg.ledger.getRequest(result.id);
    expect(row?.isByok).toBe(true);
    expect(row?.cost).toBe(moneyFromUsd(billed?.costExact ?? 'x'));
    expect(row?.upstreamInferenceCost).toBe(moneyFromUsd(billed?.upstreamExact ?? 'x'));
    // The fee is 5% of what the provider charged: the provider's charge is not invisible.
    expect((row?.upstreamInferenceCost ?? 0n) > (row?.cost ?? 0n) * 10n).toBe(true);
    const [report] = (await tg.ledger.reports.spend({ groupBy: ['module'], filters: { module: 'byok' } }))
      .rows;
    expect(report?.spend).toBe(row?.cost);
    expect(report?.upstreamSpend).toBe(row?.upstreamInferenceCost);
    // Billed a fee, not the list price the estimate uses: no drift to report.
    expect(await tg.ledger.reports.driftByModel()).toEqual([]);
  } finally {
    await tg.close();
  }
});
