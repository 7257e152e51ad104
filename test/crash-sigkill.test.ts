import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { runScript } from './helpers/child.ts';
import { DIALECTS, useLedgerDatabases } from './helpers/ledger-dialects.ts';
import { chatCompletionsSeen } from './simulator-helpers.ts';

const LOOP = fileURLToPath(new URL('./fixtures/library-call-loop.ts', import.meta.url));

for (const dialect of DIALECTS) {
  describe(`${dialect}: SIGKILL while calls run`, () => {
    const databases = useLedgerDatabases(dialect);
    let sim: RunningSimulator;
    beforeAll(async () => {
      // Each call spends 150 ms upstream, so several are surely in flight at the moment of the kill.
      sim = await startSimulator({ firstTokenMs: 150, generationLagMs: 0 });
    });
    afterAll(async () => {
      await sim.close();
    });

    it('keeps every call that returned, exactly once, and marks the ones in flight interrupted', async () => {
      const db = await databases.url();
      const loop = runScript(LOOP, {
        SIM_URL: sim.url,
        KEY: createSimulatorKey(),
        DB: db,
        CONCURRENCY: '8',
        STREAM: '1',
      });
      const okCount = (lines: readonly string[]) => lines.filter((line) => line.startsWith('ok ')).length;
      const upstreamCalls = () => chatCompletionsSeen(sim);
      await loop.waitFor((lines) => okCount(lines) >= 24);
      // Kill while some calls are upstream: their rows are pending, their callers not yet answered.
      while (upstreamCalls() <= okCount(loop.lines)) await new Promise((resolve) => setTimeout(resolve, 2));
      loop.child.kill('SIGKILL');
      expect(await loop.exited).toBe('SIGKILL');
      const returned = loop.lines.filter((line) => line.startsWith('ok ')).map((line) => line.slice(3));

      // Restart: opening the ledger sweeps the dead process's pending rows.
      const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null });
      try {
        const rows = await ledger.reports.recent({ limit: 1000 });
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const id of returned) expect(byId.get(id)?.status).toBe('ok');
        expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
        const generationIds = rows.map((row) => row.generationId).filter((id): id is string => id !== null);
        expect(new Set(generationIds).size).toBe(generationIds.length);
        expect(rows.filter((row) => row.status === 'pending')).toEqual([]);
        const interrupted = rows.filter((row) => row.status === 'interrupted');
        expect(interrupted.length).toBeGreaterThan(0);
        expect(rows.length).toBe(returned.length + interrupted.length);
      } finally {
        await ledger.close();
      }
    });
  });
}
