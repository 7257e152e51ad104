import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerRow, openLedger } from '../src/ledger/index.ts';
import { moneyFromUsd, sumMoney } from '../src/shared/money.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { type ChatCallResult, runLoad } from './helpers/gateway-calls.ts';
import { type GatewayProcess, killGatewayProcesses, spawnGateway } from './helpers/gateway-process.ts';
import { createTestDatabase, type PostgresServer, startPostgres } from './helpers/postgres.ts';

/**
 * PostgreSQL goes away under load (an immediate stop: a crash without a checkpoint) and comes
 * back. The gateway (`tollgate serve`, a child process, so a crash of it shows as a crash) must keep
 * answering, keep every row in its local spool meanwhile and say so on /readyz, then replay the
 * spool: every call answered before, during and after the outage is in the ledger exactly once,
 * and the rollup counts each once.
 */
describe('PostgreSQL outage while the gateway is under load', () => {
  let server: PostgresServer;
  let sim: RunningSimulator;
  let agent: Agent;
  const cwd = mkdtempSync(join(tmpdir(), 'tollgate-outage-'));
  // `serve` on PostgreSQL spools to a folder per database below ./tollgate-spool of its working folder.
  const spoolDir = join(cwd, 'tollgate-spool');

  beforeAll(async () => {
    // Its own server, since this test stops it; fsync on, as a durability test should have it.
    server = await startPostgres({ fsync: true });
    sim = await startSimulator({ firstTokenMs: 20, generationLagMs: 0 });
    agent = new Agent({ connections: 8 });
  });
  afterAll(async () => {
    await killGatewayProcesses();
    await agent?.close();
    await sim?.close();
    await server?.remove();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('keeps serving from the spool, reports not ready, and replays every row exactly once', async () => {
    const database = await createTestDatabase(server.url);
    // The helper's server runs with synchronous_commit=off (speed); an immediate stop would then
    // lose commits already acknowledged, which no ledger can survive. This database commits for real.
    await sqlQuery(server.url, `ALTER DATABASE ${database.name} SET synchronous_commit = on`);
    expect(await sqlQuery(database.url, 'show synchronous_commit')).toEqual([{ synchronous_commit: 'on' }]);
    // A budget the load never touches: a call it covers needs the database to reserve.
    const setup = await openLedger({ url: database.url, spoolDir: null, heartbeatMs: 0 });
    await setup.budgets.set({
      scope: 'module',
      scopeValue: 'budgeted',
      window: 'day',
      limit: moneyFromUsd('100'),
    });
    await setup.close();
    const gateway = await spawnGateway({
      db: database.url,
      upstreamUrl: sim.url,
      upstreamKey: createSimulatorKey(),
      cwd,
    });
    const until = conditionWaiter(gateway);
    await until('the gateway is ready', async () => (await readyz(gateway.url)).status === 200);

    type Phase = 'before' | 'during' | 'after';
    let phase: Phase = 'before';
    const results: Array<{ phase: Phase; result: ChatCallResult }> = [];
    const answeredIn = (which: Phase) =>
      results.filter((entry) => entry.phase === which && entry.result.answered).length;
    const stop = new AbortController();
    const load = runLoad(agent, gateway.url, {
      workers: 4,
      stop: stop.signal,
      pauseMs: 5,
      call: (n) => ({ stream: n % 3 === 0, content: `call ${n}` }),
      onResult: (result) => {
        results.push({ phase, result });
      },
    });

    try {
      await until('30 calls answered before the outage', () => answeredIn('before') >= 30);
      phase = 'during';
      await server.stop('immediate');
      let notReady: { status: number; body: unknown } | undefined;
      await until('40 calls answered during the outage, and /readyz saying 503', async () => {
        const answer = await readyz(gateway.url);
        if (answer.status === 503) notReady ??= answer;
        return answeredIn('during') >= 40 && notReady !== undefined;
      });
      const spooledDuringOutage = spoolFileLines(spoolDir);
      expect(spooledDuringOutage).toBeGreaterThan(0);
      // A call a budget covers cannot be reserved for: refused as the outage it is, never a 500.
      const budgeted = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-tollgate-module': 'budgeted' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(budgeted.statusCode).toBe(503);
      expect(await budgeted.body.json()).toMatchObject({ error: { code: 'ledger_unavailable' } });
      expect(notReady?.body).toMatchObject({ status: 'not_ready', ledger: { ready: false, spooling: true } });

      await server.start();
      phase = 'after';
      await until(
        '/readyz ready again and 30 calls answered after the outage',
        async () => (await readyz(gateway.url)).status === 200 && answeredIn('after') >= 30,
      );
      stop.abort();
      await load;
      await until('the spool replayed', async () => {
        const answer = await readyz(gateway.url);
        return answer.status === 200 && spoolFileLines(spoolDir) === 0;
      });

      // Every call got a full, successful answer: the outage never reached the callers.
      const failures = results.filter((entry) => !entry.result.answered || entry.result.status !== 200);
      expect(
        failures.map(
          (entry) =>
            `${entry.phase}: ${entry.result.status} ${entry.result.errorCode ?? entry.result.failure}`,
        ),
      ).toEqual([]);
      // A graceful stop flushes what is left.
      expect(await gateway.kill('SIGTERM')).toBe(0);

      const ledger = await openLedger({
        url: database.url,
        heartbeatMs: 0,
        spoolDir: null,
        reconcileAfterMs: null,
      });
      let rows: LedgerRow[];
      let rollup: { requests: number; spend: bigint };
      try {
        rows = await ledger.reports.recent({ limit: 1000 });
        const total = (await ledger.reports.spend()).rows[0];
        rollup = { requests: total?.requests ?? 0, spend: total?.spend ?? 0n };
      } finally {
        await ledger.close();
      }
      expect(rows.length).toBeLessThan(1000);
      const byId = new Map(rows.map((row) => [row.id, row]));
      const answered = results.map((entry) => entry.result);
      // Exactly the answered calls, each once, completed with the cost the simulator billed.
      expect(byId.size).toBe(rows.length);
      expect([...byId.keys()].sort()).toEqual(answered.map((result) => result.requestId).sort());
      for (const result of answered) {
        const row = byId.get(result.requestId ?? '');
        expect(row).toMatchObject({ status: 'ok', generationId: result.generationId });
        expect(row?.cost).toBe(
          moneyFromUsd(sim.state.generation(result.generationId ?? '')?.costExact ?? 'x'),
        );
      }
      // The rollup is written in the same transactions as the rows: an op replayed twice would
      // show here even though the primary key keeps the row itself single.
      expect(rollup).toEqual({ requests: rows.length, spend: sumMoney(rows.map((row) => row.cost ?? 0n)) });
      expect(
        existsSync(spoolDir) ? readdirSync(spoolDir).filter((name) => name.includes('.spool')) : [],
      ).toEqual([]);
      console.info(
        `outage: ${answeredIn('before')} answered before, ${answeredIn('during')} during ` +
          `(${spooledDuringOutage} ops in the spool file when /readyz said 503), ` +
          `${answeredIn('after')} after; ${rows.length} rows, rollup ${rollup.requests} requests`,
      );
    } finally {
      stop.abort();
      await load;
    }
  }, 120_000);
});

/**
 * Polls `condition` (every 20 ms, up to 30 s), failing at once, with the gateway's stderr, if the
 * gateway process has died: a crash must not look like a slow test.
 */
function conditionWaiter(gateway: GatewayProcess) {
  return async (what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) {
        throw new Error(
          `the gateway died (${gateway.child.exitCode ?? gateway.child.signalCode}) waiting for ${what}: ${gateway.stderr()}`,
        );
      }
      if (
        await Promise.resolve()
          .then(condition)
          .catch(() => false)
      )
        return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
}

async function readyz(url: string): Promise<{ status: number; body: unknown }> {
  const response = await request(`${url}/readyz`);
  return { status: response.statusCode, body: await response.body.json() };
}

/** Spooled ops under `dir`, whose folders hold one database's spool each. */
function spoolFileLines(dir: string): number {
  if (!existsSync(dir)) return 0;
  let lines = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (entry.isDirectory()) {
      lines += spoolFileLines(join(dir, name));
      continue;
    }
    if (!name.endsWith('.spool.jsonl')) continue;
    try {
      lines += readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).length;
    } catch (error) {
      // Replayed and removed between the listing and the read.
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
    }
  }
  return lines;
}

async function sqlQuery(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
