import { describe, expect, it, vi } from 'vitest';
import {
  DIALECTS,
  manualClock,
  secondConnection,
  useLedgerDatabases,
} from '../../test/helpers/ledger-dialects.ts';
import { openLedger } from './index.ts';

const OK = { status: 'ok', cost: 1_000n, costSource: 'usage' } as const;

for (const dialect of DIALECTS) {
  describe(`${dialect}: ledger writes`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('runs its migrations on open, and opening again (concurrently on PostgreSQL) changes nothing', async () => {
      const url = await dbs.url();
      const open = () => openLedger({ url, heartbeatMs: 0, spoolDir: null });
      // Several SQLite connections in one thread would wait on each other's locks; processes do not.
      const opened =
        dialect === 'postgres' ? await Promise.all([open(), open(), open()]) : [await open(), await open()];
      const [writer] = opened;
      if (!writer) throw new Error('no ledger opened');
      const { id } = await writer.begin({ module: 'm', modelRequested: 'a/b' });
      await writer.complete(id, OK);
      for (const ledger of opened) await ledger.close();
      const again = await dbs.open({ url });
      expect((await again.getRequest(id))?.status).toBe('ok');
      const other = await secondConnection(dialect, url);
      const migrations = await other.query('select name from tollgate_migration order by name');
      await other.close();
      expect(migrations.map((row) => row.name)).toEqual([
        '0001_requests',
        '0002_rollup_budgets_keys',
        '0003_coarse_rollup',
      ]);
    });

    it('group-commits many concurrent callers, each answered only once its row is durable', async () => {
      const url = await dbs.url();
      const ledger = await dbs.open({ url });
      const other = await secondConnection(dialect, url);
      const before = ledger.writerStats().batches;
      const seenOnResolve: string[] = [];
      const checks: Promise<void>[] = [];
      await Promise.all(
        Array.from({ length: 300 }, async (_, index) => {
          const { id } = await ledger.begin({ module: 'm', userId: `u${index % 7}`, modelRequested: 'a/b' });
          await ledger.complete(id, { ...OK, latencyMs: index });
          // Read through another connection the moment the caller is answered.
          checks.push(
            other.query('select status from requests where id = ?', [id]).then((rows) => {
              seenOnResolve.push(String(rows[0]?.status));
            }),
          );
        }),
      );
      await Promise.all(checks);
      await other.close();
      expect(seenOnResolve).toHaveLength(300);
      expect(new Set(seenOnResolve)).toEqual(new Set(['ok']));
      const transactions = ledger.writerStats().batches - before;
      expect(transactions).toBeLessThan(40);
      expect(ledger.writerStats().largestBatch).toBeGreaterThan(50);
      expect(ledger.queueDepth()).toBe(0);
    });

    it('stores an unknown cost as NULL, never as 0, and counts it in the rollup as unknown', async () => {
      const url = await dbs.url();
      const ledger = await dbs.open({ url });
      const unknown = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      const omitted = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      const free = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      await ledger.complete(unknown.id, {
        status: 'error',
        cost: null,
        httpStatus: 502,
        errorCode: 'upstream',
      });
      // A JavaScript caller that leaves cost out gets unknown too.
      await ledger.complete(omitted.id, { status: 'ok' } as unknown as Parameters<typeof ledger.complete>[1]);
      await ledger.complete(free.id, { status: 'ok', cost: 0n, costSource: 'usage' });
      const other = await secondConnection(dialect, url);
      const rows = await other.query('select id, cost, cost_known from requests');
      await other.close();
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(byId.get(unknown.id)?.cost).toBeNull();
      expect(byId.get(omitted.id)?.cost).toBeNull();
      expect(Number(byId.get(unknown.id)?.cost_known)).toBe(0);
      expect(String(byId.get(free.id)?.cost)).toBe('0');
      expect((await ledger.getRequest(unknown.id))?.costKnown).toBe(false);
      const report = await ledger.reports.spend();
      expect(report.rows[0]).toMatchObject({ requests: 3, unknownCostCount: 2, errors: 1, spend: 0n });
      await expect(
        ledger.complete(free.id, { status: 'ok', cost: 5n } as Parameters<typeof ledger.complete>[1]),
      ).rejects.toThrow(/costSource/);
      await expect(
        ledger.complete(free.id, { status: 'ok', cost: 5, costSource: 'usage' } as unknown as Parameters<
          typeof ledger.complete
        >[1]),
      ).rejects.toThrow(/Money/);
    });

    it('flags token counts that contradict each other instead of storing them silently', async () => {
      const ledger = await dbs.open();
      const { id } = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      const result = await ledger.complete(id, {
        ...OK,
        usage: {
          promptTokens: 10,
          cachedTokens: 20,
          completionTokens: 5,
          reasoningTokens: 9,
          cacheWriteTokens: -1,
        },
      });
      expect(result.tokenCheck).toEqual([
        'invalid_count',
        'cached_exceeds_prompt',
        'reasoning_exceeds_completion',
      ]);
      const row = await ledger.getRequest(id);
      expect(row?.tokenCheck).toEqual(result.tokenCheck);
      expect(row).toMatchObject({
        promptTokens: 10,
        cachedTokens: 20,
        completionTokens: 5,
        reasoningTokens: 9,
      });
      expect(row?.cacheWriteTokens).toBeNull();
      const clean = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      const fine = await ledger.complete(clean.id, { ...OK, usage: { promptTokens: 10, cachedTokens: 4 } });
      expect(fine.tokenCheck).toEqual([]);
      expect((await ledger.getRequest(clean.id))?.tokenCheck).toEqual([]);
    });

    it('keeps every field of a completed row', async () => {
      const ledger = await dbs.open();
      const begun = await ledger.begin({
        module: 'summarize',
        userId: 'u-42',
        keyId: 'k1',
        requestId: 'req-1',
        tags: { env: 'test', n: 1 },
        modelRequested: 'google/gemini-2.5-flash-lite',
        streamed: true,
        estimatedCost: 900n,
      });
      await ledger.attachGenerationId(begun.id, 'gen-early');
      await ledger.complete(begun.id, {
        status: 'ok',
        model: 'google/gemini-2.5-flash-lite-001',
        provider: 'Google AI Studio',
        finishReason: 'stop',
        nativeFinishReason: 'STOP',
        httpStatus: 200,
        usage: { promptTokens: 2, completionTokens: 362, reasoningTokens: 356 },
        cost: 905_600_000n,
        costSource: 'usage',
        upstreamInferenceCost: 7n,
        isByok: true,
        latencyMs: 1234,
        ttftMs: 321,
        attempts: 2,
      });
      const row = await ledger.getRequest(begun.id);
      expect(row).toMatchObject({
        module: 'summarize',
        userId: 'u-42',
        keyId: 'k1',
        requestId: 'req-1',
        tags: { env: 'test', n: 1 },
        model: 'google/gemini-2.5-flash-lite-001',
        provider: 'Google AI Studio',
        status: 'ok',
        streamed: true,
        estimatedCost: 900n,
        cost: 905_600_000n,
        costSource: 'usage',
        costKnown: true,
        upstreamInferenceCost: 7n,
        isByok: true,
        attempts: 2,
        ttftMs: 321,
      });
      // The generation id attached mid-stream stays when the completion carries none.
      expect(row?.generationId).toBe('gen-early');
      expect((await ledger.getRequestByGenerationId('gen-early'))?.id).toBe(begun.id);
    });

    it('answers replays and strays without changing anything', async () => {
      const ledger = await dbs.open();
      const { id } = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      await expect(ledger.begin({ id, module: 'm', modelRequested: 'a/b' })).rejects.toThrow(
        /already exists/,
      );
      await expect(ledger.begin({ id: 'not-a-uuid', module: 'm', modelRequested: 'a/b' })).rejects.toThrow(
        /UUIDv7/,
      );
      expect((await ledger.complete(id, OK)).applied).toBe(true);
      expect((await ledger.complete(id, { ...OK, cost: 99n })).applied).toBe(false);
      expect((await ledger.complete('no-such-row', OK)).applied).toBe(false);
      expect((await ledger.getRequest(id))?.cost).toBe(1_000n);
      expect((await ledger.reports.spend()).rows[0]?.requests).toBe(1);
    });

    it('rolls a completion up alike whether this ledger began its row or must read it back', async () => {
      const url = await dbs.url();
      const began = await dbs.open({ url });
      // A second ledger on the same database: it began nothing, so it reads each row's attribution.
      const other = await dbs.open({ url });
      const attribution = { module: 'm', userId: 'u', keyId: 'k', modelRequested: 'a/b' };
      const carried = await began.begin({ ...attribution, estimatedCost: 500n });
      const readBack = await began.begin({ ...attribution, estimatedCost: 700n });
      const reEstimated = await began.begin({ ...attribution, estimatedCost: 900n });
      expect((await began.complete(carried.id, { ...OK, cost: 10n })).applied).toBe(true);
      expect((await other.complete(readBack.id, { ...OK, cost: 20n })).applied).toBe(true);
      // An estimate in the completion replaces the row's, in the row and in the rollup.
      expect((await began.complete(reEstimated.id, { ...OK, cost: 40n, estimatedCost: 300n })).applied).toBe(
        true,
      );
      // A repeat through the ledger that began it changes nothing (the row is no longer pending).
      expect((await began.complete(carried.id, { ...OK, cost: 80n })).applied).toBe(false);
      const connection = await secondConnection(dialect, url);
      const cells = await connection.query(
        `select module, user_id, key_id, model, request_count, cost_sum, estimated_cost_sum from rollup_daily`,
      );
      const rows = await connection.query(
        'select count(*) as n, sum(cost) as cost, sum(estimated_cost) as estimated from requests',
      );
      await connection.close();
      expect(cells.map((cell) => Object.values(cell).map(String))).toEqual([
        ['m', 'u', 'k', 'a/b', '3', '70', '1500'],
      ]);
      expect(Object.values(rows[0] ?? {}).map(String)).toEqual(['3', '70', '1500']);
    });

    it('turns pending rows of a dead instance into interrupted at start-up, counted once', async () => {
      const url = await dbs.url();
      const clock = manualClock();
      const dead = await dbs.open({ url, clock, instanceId: 'dead-one', pid: 999_999, hostname: 'here' });
      const first = await dead.begin({ module: 'm', modelRequested: 'a/b' });
      const second = await dead.begin({ module: 'm', modelRequested: 'a/b' });
      await dead.attachGenerationId(second.id, 'gen-x');
      // A live instance on another host keeps its pending rows.
      const alive = await dbs.open({ url, clock, instanceId: 'alive-one', hostname: 'elsewhere' });
      const kept = await alive.begin({ module: 'm', modelRequested: 'a/b' });

      const next = await dbs.open({
        url,
        clock,
        hostname: 'here',
        isProcessAlive: (pid) => pid !== 999_999,
      });
      expect((await next.getRequest(first.id))?.status).toBe('interrupted');
      const interrupted = await next.getRequest(second.id);
      expect(interrupted?.status).toBe('interrupted');
      expect(interrupted?.nextReconcileAt).toBe(clock.now());
      expect((await next.getRequest(kept.id))?.status).toBe('pending');
      let report = await next.reports.spend();
      expect(report.rows[0]).toMatchObject({ requests: 2, unknownCostCount: 2 });

      // The "dead" process was only slow: its completion replaces the interrupted outcome.
      expect((await dead.complete(first.id, OK)).applied).toBe(true);
      report = await next.reports.spend();
      expect(report.rows[0]).toMatchObject({ requests: 2, unknownCostCount: 1, spend: 1_000n });
      expect((await next.getRequest(first.id))?.status).toBe('ok');

      // Rows pending far longer than any call become interrupted whoever owns them.
      clock.advance(7 * 3_600_000);
      expect(await next.sweepInterrupted()).toBe(1);
      expect((await next.getRequest(kept.id))?.status).toBe('interrupted');
    });

    it('never takes a process still running on this host for dead, however long its heartbeat is silent', async () => {
      // Through a database outage a writer cannot beat; its spool and rows are its own to finish.
      const url = await dbs.url();
      const clock = manualClock();
      const writer = await dbs.open({ url, clock, instanceId: 'writer', pid: 424_242, hostname: 'here' });
      const { id } = await writer.begin({ module: 'm', modelRequested: 'a/b' });
      clock.advance(10 * 60_000);
      const running = (pid: number) => pid === 424_242;
      await dbs.open({ url, clock, hostname: 'here', isProcessAlive: running });
      expect((await writer.getRequest(id))?.status).toBe('pending');
      // Once that process is gone, its rows are interrupted.
      const after = await dbs.open({ url, clock, hostname: 'here', isProcessAlive: () => false });
      expect((await after.getRequest(id))?.status).toBe('interrupted');
    });

    it('beats on a timer and interrupts the rows of an instance that stopped beating', async () => {
      const url = await dbs.url();
      const clock = manualClock();
      const silent = await dbs.open({ url, clock, hostname: 'elsewhere', instanceId: 'silent-one' });
      const { id } = await silent.begin({ module: 'm', modelRequested: 'a/b' });
      const watcher = await dbs.open({ url, clock, heartbeatMs: 20, staleInstanceMs: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect((await watcher.getRequest(id))?.status).toBe('pending');
      clock.advance(61_000);
      await vi.waitFor(async () => expect((await watcher.getRequest(id))?.status).toBe('interrupted'), {
        timeout: 5000,
      });
    });

    it('keeps opt-in bodies apart and purges them by age', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock });
      const { id } = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      await ledger.saveBodies(id, { request: '{"messages":[]}' });
      await ledger.saveBodies(id, { response: '{"choices":[]}' });
      expect(await ledger.getBodies(id)).toEqual({ request: '{"messages":[]}', response: '{"choices":[]}' });
      clock.advance(10_000);
      expect(await ledger.purgeBodies(20_000)).toBe(0);
      expect(await ledger.purgeBodies(5_000)).toBe(1);
      expect(await ledger.getBodies(id)).toBeUndefined();
    });

    it('refuses writes once closed', async () => {
      const ledger = await dbs.open();
      await ledger.close();
      await expect(ledger.begin({ module: 'm', modelRequested: 'a/b' })).rejects.toMatchObject({
        code: 'ledger_closed',
      });
      expect(ledger.health().closed).toBe(true);
    });
  });
}
