import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LedgerRow, openLedger } from '../src/ledger/index.ts';
import { moneyFromUsd } from '../src/shared/money.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { type ChatCallResult, chatCall, runLoad } from './helpers/gateway-calls.ts';
import { killGatewayProcesses, spawnGateway } from './helpers/gateway-process.ts';
import { DIALECTS, useLedgerDatabases } from './helpers/ledger-dialects.ts';
import { chatCompletionsSeen } from './simulator-helpers.ts';

/**
 * SIGKILL of the real gateway process (`tollgate serve`) while plain and streamed calls are in
 * flight, then a restart on the same ledger. The promise (design.md, "The ledger"): a call the
 * caller saw answered is in the ledger exactly once with its final status; calls cut off are
 * `interrupted` (none left `pending`); the restarted gateway serves again.
 */
for (const dialect of DIALECTS) {
  describe(`${dialect}: SIGKILL of the gateway under load`, () => {
    const databases = useLedgerDatabases(dialect);
    let sim: RunningSimulator;
    let agent: Agent;
    const cwd = mkdtempSync(join(tmpdir(), 'tollgate-crash-'));
    beforeAll(async () => {
      // 150 ms to the first token and a paced stream: at any moment several calls are upstream,
      // some of them streams already half relayed to their callers.
      sim = await startSimulator({ firstTokenMs: 150, tokensPerSecond: 300, generationLagMs: 0 });
      agent = new Agent({ connections: 16 });
    });
    afterAll(async () => {
      await killGatewayProcesses();
      await agent?.close();
      await sim?.close();
      rmSync(cwd, { recursive: true, force: true });
    });

    it('keeps every answered call exactly once, interrupts the ones in flight, and serves after restart', async () => {
      const db = await databases.url();
      const upstreamKey = createSimulatorKey();
      const first = await spawnGateway({ db, upstreamUrl: sim.url, upstreamKey, cwd });

      const answered: ChatCallResult[] = [];
      const stop = new AbortController();
      const load = runLoad(agent, first.url, {
        workers: 8,
        stop: stop.signal,
        call: (n) => ({ stream: n % 2 === 1, content: `call ${n}` }),
        onResult: (result) => {
          if (result.answered) answered.push(result);
        },
      });
      const upstreamCalls = () => chatCompletionsSeen(sim);
      await vi.waitFor(() => expect(answered.length).toBeGreaterThanOrEqual(24), {
        timeout: 20_000,
        interval: 10,
      });
      // Kill while calls are upstream: their rows are pending, their callers not yet answered.
      while (upstreamCalls() <= answered.length) await new Promise((resolve) => setTimeout(resolve, 2));
      stop.abort();
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      const results = await load;
      const sentUpstream = upstreamCalls();

      // Every answer the callers got was a success (no faults are injected here).
      expect(answered.every((result) => result.status === 200 && result.errorCode === null)).toBe(true);
      const cutOff = results.filter((result) => !result.answered);
      expect(cutOff.length).toBeGreaterThan(0);

      // Restart on the same ledger (and the same port, as a supervisor would).
      const second = await spawnGateway({ db, upstreamUrl: sim.url, upstreamKey, cwd, port: first.port });
      let stopped: number | string | undefined;
      try {
        const swept = second.logs('ledger: stale pending rows marked interrupted');
        const after = await chatCall(agent, second.url, { stream: false, content: 'after the restart' });
        const afterStream = await chatCall(agent, second.url, { stream: true, content: 'streamed after' });
        expect(after).toMatchObject({ answered: true, status: 200 });
        expect(afterStream).toMatchObject({ answered: true, status: 200, errorCode: null });
        // Stopped before the ledger is read from this process: a graceful stop commits what its
        // journal acknowledged (a running gateway commits it within milliseconds, not at once).
        stopped = await second.kill('SIGTERM');
        expect(stopped).toBe(0);

        const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null, reconcileAfterMs: null });
        let rows: LedgerRow[];
        try {
          rows = await ledger.reports.recent({ limit: 1000 });
        } finally {
          await ledger.close();
        }
        const byId = new Map(rows.map((row) => [row.id, row]));
        expect(byId.size).toBe(rows.length);
        const generationIds = rows.map((row) => row.generationId).filter((id) => id !== null);
        expect(new Set(generationIds).size).toBe(generationIds.length);

        // Each answered call: one row, final status, the generation and exact cost the caller got.
        for (const result of [...answered, after, afterStream]) {
          const row = result.requestId ? byId.get(result.requestId) : undefined;
          expect(row, `row of answered call ${result.requestId}`).toMatchObject({
            status: 'ok',
            generationId: result.generationId,
          });
          expect(row?.cost).toBe(
            moneyFromUsd(sim.state.generation(result.generationId ?? '')?.costExact ?? 'x'),
          );
        }
        expect(rows.filter((row) => row.status === 'pending')).toEqual([]);
        const interrupted = rows.filter((row) => row.status === 'interrupted');
        expect(interrupted.length).toBeGreaterThan(0);
        // The restarted gateway itself swept them, at start-up, before serving.
        expect(swept.reduce((sum, line) => sum + Number(line.count), 0)).toBe(interrupted.length);
        // No row without a call behind it: besides the answered calls' rows, each row is a call cut
        // off, interrupted, or (killed between the commit and the last byte) finished but unanswered.
        const answeredIds = new Set([...answered, after, afterStream].map((result) => result.requestId));
        const finishedUnanswered = rows.filter(
          (row) => row.status !== 'interrupted' && !answeredIds.has(row.id),
        );
        expect(interrupted.length + finishedUnanswered.length).toBeLessThanOrEqual(cutOff.length);
        // Every call that reached the simulator has its row (a row may precede a call that never left).
        expect(rows.length).toBeGreaterThanOrEqual(sentUpstream + 2);
        const known = new Set(generationIds);
        const billedUnknown = sim.state.generations().filter((generation) => !known.has(generation.id));
        console.info(
          `${dialect}: ${rows.length} rows; ${answered.length} answered before the kill, ` +
            `${cutOff.length} cut off → ${interrupted.length} interrupted ` +
            `(${interrupted.filter((row) => row.generationId !== null).length} with a generation id, ` +
            `${interrupted.filter((row) => row.streamed).length} streamed), ` +
            `${finishedUnanswered.length} finished but unanswered; ${sentUpstream} upstream calls before the kill; ` +
            `${billedUnknown.length} generations billed by the simulator are on no row`,
        );
      } finally {
        if (stopped === undefined) await second.kill('SIGTERM');
      }
    }, 90_000);
  });
}
