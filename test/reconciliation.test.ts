import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tollgate } from '../src/index.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { eventually } from './helpers/gateway.ts';
import { DIALECTS, useLedgerDatabases } from './helpers/ledger-dialects.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: reconciliation against GET /generation`, () => {
    const databases = useLedgerDatabases(dialect);
    let sim: RunningSimulator;
    beforeAll(async () => {
      sim = await startSimulator({ generationLagMs: 400 });
    });
    afterAll(async () => {
      await sim.close();
    });

    it('waits out the lag, survives a restart, and stores what the generation record says', async () => {
      const db = await databases.url();
      const key = createSimulatorKey();
      const open = (reconcile: boolean) =>
        Tollgate.open({
          apiKey: key,
          baseUrl: sim.url,
          db,
          env: {},
          cwd: databases.folder(),
          reconcile,
          ledger: { reconcileAfterMs: 0, heartbeatMs: 0, spoolDir: null },
        });

      const first = await open(false);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push(
          (
            await first.chat({
              model: 'google/gemini-2.5-flash',
              messages: [{ role: 'user', content: `q${i}` }],
            })
          ).id,
        );
      }
      // Within the lag the endpoint answers 404: nothing is reconciled, the rows back off.
      const [run] = await first.reconcileNow();
      expect(run?.claimed).toBe(4);
      expect(run?.reconciled).toBe(0);
      for (const id of ids) expect((await first.ledger.getRequest(id))?.reconciledAt).toBeNull();
      await first.close();

      // A new process picks the work up from the table itself.
      const second = await open(true);
      try {
        const rows = await eventually(async () => {
          const found = await Promise.all(ids.map((id) => second.ledger.getRequest(id)));
          return found.every((row) => row?.reconciledAt !== null) ? found : undefined;
        }, 15_000);
        for (const row of rows) {
          const record = sim.state.generation(row?.generationId ?? '');
          expect(row?.reconcileAttempts).toBeGreaterThanOrEqual(2);
          expect(row?.providerResponses).toEqual(record?.data.provider_responses);
          expect(row?.generationTimeMs).toBe(record?.data.generation_time);
          expect(row?.costSource).toBe('usage');
          expect(row?.cost).toBeGreaterThan(0n);
        }
      } finally {
        await second.close();
      }
    });
  });
}
