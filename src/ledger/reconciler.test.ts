import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { DIALECTS, manualClock, useLedgerDatabases } from '../../test/helpers/ledger-dialects.ts';
import { moneyFromUsd } from '../shared/money.ts';
import {
  type FetchGeneration,
  type FetchGenerationResult,
  type Ledger,
  reconcileBackoffMs,
} from './index.ts';

function fixture(name: string): { data: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8'));
}

/** A fake `GET /generation`: answers from a script of results, per generation id. */
function scriptedFetch(script: Record<string, Array<FetchGenerationResult | Error>>) {
  const calls: string[] = [];
  const fetchGeneration: FetchGeneration = async (id) => {
    calls.push(id);
    const next = script[id]?.shift() ?? { status: 'not_found' };
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetchGeneration, calls };
}

async function completedRow(
  ledger: Ledger,
  generationId: string,
  cost: bigint | null,
  costSource: 'usage' | 'estimate' = 'usage',
) {
  const { id } = await ledger.begin({
    module: 'm',
    userId: 'u1',
    modelRequested: 'google/gemini-2.5-flash-lite',
  });
  await ledger.complete(id, {
    status: 'ok',
    generationId,
    provider: 'Google AI Studio',
    cost,
    costSource: cost === null ? null : costSource,
    estimatedCost: costSource === 'estimate' ? cost : null,
    usage: { promptTokens: 10, completionTokens: 20 },
  });
  return id;
}

describe('reconcileBackoffMs', () => {
  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => reconcileBackoffMs(attempt, 1000, 5000))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: reconciler`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('backs off while the generation 404s, then stores the billed figures and moves the rollup', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 2000 });
      const record = fixture('generation-with-provider-retry.json');
      const id = await completedRow(ledger, 'gen-A', moneyFromUsd('0.0001'));
      const fake = scriptedFetch({
        'gen-A': [{ status: 'not_found' }, { status: 'not_found' }, { status: 'found', record }],
      });
      const reconciler = ledger.reconciler({ fetchGeneration: fake.fetchGeneration, baseDelayMs: 1000 });

      expect((await reconciler.runOnce()).claimed).toBe(0);
      expect(await reconciler.lagMs()).toBe(0);
      clock.advance(2000);
      expect(await reconciler.runOnce()).toMatchObject({ claimed: 1, notFound: 1 });
      expect(await ledger.getRequest(id)).toMatchObject({
        reconcileAttempts: 1,
        nextReconcileAt: clock.now() + 1000,
      });
      expect((await reconciler.runOnce()).claimed).toBe(0);
      clock.advance(1000);
      expect(await reconciler.runOnce()).toMatchObject({ claimed: 1, notFound: 1 });
      expect((await ledger.getRequest(id))?.nextReconcileAt).toBe(clock.now() + 2000);
      expect(await reconciler.lagMs()).toBe(3000);
      clock.advance(2000);
      expect(await reconciler.runOnce()).toMatchObject({ claimed: 1, reconciled: 1, costChanged: 1 });

      const row = await ledger.getRequest(id);
      expect(row).toMatchObject({
        cost: moneyFromUsd('0.0001402'),
        costSource: 'generation',
        upstreamLatencyMs: 1643,
        generationTimeMs: 3881,
        provider: 'Google AI Studio',
        upstreamInferenceCost: 0n,
        reconciledAt: clock.now(),
        nextReconcileAt: null,
        reconcileAttempts: 3,
      });
      expect(row?.providerResponses).toHaveLength(2);
      expect((await ledger.reports.spend()).rows[0]?.spend).toBe(moneyFromUsd('0.0001402'));
      expect(await reconciler.lagMs()).toBeNull();
      expect(fake.calls).toEqual(['gen-A', 'gen-A', 'gen-A']);
    });

    it('keeps a billed source when the bill agrees, marks an agreeing estimate as billed, and fills an unknown cost and native counts', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 0 });
      const streamed = fixture('generation-streamed-openai.json');
      const agreeing = await completedRow(ledger, 'gen-same', moneyFromUsd('0.0001525'));
      const unknown = await completedRow(ledger, 'gen-unknown', null);
      // A row costed from the catalogue (a usage without cost, as Anthropic's Messages usage is).
      const estimated = await completedRow(ledger, 'gen-estimated', moneyFromUsd('0.0001525'), 'estimate');
      const fake = scriptedFetch({
        'gen-same': [{ status: 'found', record: streamed }],
        'gen-estimated': [{ status: 'found', record: { ...streamed.data, id: 'gen-estimated' } }],
        'gen-unknown': [
          { status: 'found', record: { ...streamed.data, id: 'gen-unknown', native_tokens_prompt: 99 } },
        ],
      });
      const summary = await ledger.reconciler({ fetchGeneration: fake.fetchGeneration }).runOnce();
      expect(summary).toMatchObject({ claimed: 3, reconciled: 3, costChanged: 1 });
      expect(await ledger.getRequest(agreeing)).toMatchObject({
        costSource: 'usage',
        promptTokens: 14,
        completionTokens: 97,
        upstreamLatencyMs: 280,
      });
      expect(await ledger.getRequest(unknown)).toMatchObject({
        cost: moneyFromUsd('0.0001525'),
        costSource: 'generation',
        costKnown: true,
        promptTokens: 99,
      });
      // The bill confirmed the estimate: the figure is now the bill's, and drift counts the row.
      expect(await ledger.getRequest(estimated)).toMatchObject({
        cost: moneyFromUsd('0.0001525'),
        costSource: 'generation',
        estimatedCost: moneyFromUsd('0.0001525'),
      });
      expect(await ledger.reports.driftByModel()).toEqual([
        expect.objectContaining({ requests: 1, estimated: moneyFromUsd('0.0001525'), drift: 0n }),
      ]);
      const report = (await ledger.reports.spend()).rows[0];
      expect(report).toMatchObject({
        unknownCostCount: 0,
        spend: 3n * moneyFromUsd('0.0001525'),
        promptTokens: 127,
      });
    });

    it('gives up after the bounded attempts, counting failures too', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 0 });
      const id = await completedRow(ledger, 'gen-never', 5n);
      const fake = scriptedFetch({ 'gen-never': [new Error('503 from upstream')] });
      const reconciler = ledger.reconciler({
        fetchGeneration: fake.fetchGeneration,
        maxAttempts: 3,
        baseDelayMs: 10,
      });
      expect(await reconciler.runOnce()).toMatchObject({ failed: 1 });
      clock.advance(10);
      expect(await reconciler.runOnce()).toMatchObject({ notFound: 1 });
      clock.advance(20);
      expect(await reconciler.runOnce()).toMatchObject({ notFound: 1, gaveUp: 1 });
      clock.advance(1_000_000);
      expect((await reconciler.runOnce()).claimed).toBe(0);
      expect(await ledger.getRequest(id)).toMatchObject({
        reconciledAt: null,
        nextReconcileAt: null,
        reconcileAttempts: 3,
        cost: 5n,
      });
    });

    it('stops at a rejected key without using any attempts, and hands the rows back due now', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 0 });
      const ids = [
        await completedRow(ledger, 'gen-k1', 5n),
        await completedRow(ledger, 'gen-k2', 5n),
        await completedRow(ledger, 'gen-k3', 5n),
      ];
      // Shaped like the client's AuthenticationError (the ledger reads errors by shape).
      const refused = Object.assign(new Error('No auth credentials found'), { status: 401, category: 'api' });
      const fake = scriptedFetch({ 'gen-k1': [refused], 'gen-k2': [refused], 'gen-k3': [refused] });
      const reconciler = ledger.reconciler({ fetchGeneration: fake.fetchGeneration, concurrency: 1 });
      const summary = await reconciler.runOnce();
      expect(summary).toMatchObject({ claimed: 3, failed: 0, notFound: 0, gaveUp: 0, released: 3 });
      expect(summary.stoppedBy).toBe(refused);
      expect(fake.calls).toHaveLength(1);
      for (const id of ids) {
        expect(await ledger.getRequest(id)).toMatchObject({
          reconcileAttempts: 0,
          nextReconcileAt: clock.now(),
          reconciledAt: null,
        });
      }
      // Once the key is fixed the same rows are reconciled at once, not after a lease or backoff.
      const fixed = scriptedFetch(
        Object.fromEntries(
          ['gen-k1', 'gen-k2', 'gen-k3'].map((id) => [
            id,
            [{ status: 'found', record: { id, total_cost: 0.001 } }],
          ]),
        ) as Record<string, FetchGenerationResult[]>,
      );
      expect(await ledger.reconciler({ fetchGeneration: fixed.fetchGeneration }).runOnce()).toMatchObject({
        reconciled: 3,
        released: 0,
      });
    });

    it('never gives up on a row because OpenRouter was unreachable, rate-limited or failing', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 0 });
      const id = await completedRow(ledger, 'gen-outage', 5n);
      const refusedConnection = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        code: 'ECONNREFUSED',
      });
      const outages: Error[] = [
        Object.assign(new Error('fetch failed'), { cause: refusedConnection }),
        Object.assign(new Error('Connection failed'), { category: 'connection' }),
        Object.assign(new Error('Service unavailable'), { status: 503 }),
        Object.assign(new Error('Rate limited'), { status: 429 }),
        Object.assign(new Error('Forbidden'), { status: 403 }),
      ];
      const fake = scriptedFetch({ 'gen-outage': [...outages] });
      const reconciler = ledger.reconciler({ fetchGeneration: fake.fetchGeneration, maxAttempts: 2 });
      for (const outage of outages) {
        expect(await reconciler.runOnce()).toMatchObject({
          claimed: 1,
          failed: 0,
          gaveUp: 0,
          stoppedBy: outage,
        });
        clock.advance(1000);
      }
      expect(await ledger.getRequest(id)).toMatchObject({ reconcileAttempts: 0, reconciledAt: null });
      // A failure about the row itself (a 400 for this id) is still a miss.
      const bad = scriptedFetch({ 'gen-outage': [Object.assign(new Error('Bad id'), { status: 400 })] });
      expect(await ledger.reconciler({ fetchGeneration: bad.fetchGeneration }).runOnce()).toMatchObject({
        failed: 1,
      });
      expect((await ledger.getRequest(id))?.reconcileAttempts).toBe(1);
    });

    it('treats its own fetch deadline as an outage, not a miss', async () => {
      const ledger = await dbs.open({ reconcileAfterMs: 0 });
      const id = await completedRow(ledger, 'gen-slow', 5n);
      // Like the client: an aborted fetch rejects with an abort error of its own.
      const hanging: FetchGeneration = (_id, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('Request aborted')), { once: true }),
        );
      const summary = await ledger.reconciler({ fetchGeneration: hanging, fetchTimeoutMs: 20 }).runOnce();
      expect(summary).toMatchObject({ failed: 0, released: 1 });
      expect(String(summary.stoppedBy)).toMatch(/timed out after 20 ms/);
      expect((await ledger.getRequest(id))?.reconcileAttempts).toBe(0);
    });

    it('in the background, waits out an outage with growing pauses and keeps every attempt', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 0 });
      const id = await completedRow(ledger, 'gen-down', 1n);
      const down = () => Object.assign(new Error('Service unavailable'), { status: 503 });
      const fake = scriptedFetch({
        'gen-down': [
          down(),
          down(),
          down(),
          { status: 'found', record: { id: 'gen-down', total_cost: 0.5 } },
        ],
      });
      const reconciler = ledger.reconciler({
        fetchGeneration: fake.fetchGeneration,
        intervalMs: 50,
        maxAttempts: 2,
      });
      reconciler.start();
      try {
        await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
        // The pause doubles (100 ms after the first failure, then 200, 400), rather than the row
        // being asked for every 50 ms.
        clock.advance(99);
        await new Promise((wake) => setTimeout(wake, 50));
        expect(fake.calls).toHaveLength(1);
        await vi.waitFor(() => {
          clock.advance(1);
          expect(fake.calls).toHaveLength(2);
        });
        await vi.waitFor(() => {
          clock.advance(50);
          expect(fake.calls.length).toBeGreaterThanOrEqual(4);
        });
        await vi.waitFor(async () =>
          expect(await ledger.getRequest(id)).toMatchObject({
            cost: moneyFromUsd('0.5'),
            reconcileAttempts: 1,
          }),
        );
      } finally {
        await reconciler.stop();
      }
    });

    it('resumes from the table after the ledger is reopened', async () => {
      const clock = manualClock();
      const url = await dbs.url();
      const first = await dbs.open({ url, clock, reconcileAfterMs: 0 });
      const id = await completedRow(first, 'gen-resume', null);
      await first
        .reconciler({ fetchGeneration: scriptedFetch({}).fetchGeneration, baseDelayMs: 5000 })
        .runOnce();
      await first.close();

      const second = await dbs.open({ url, clock });
      const fake = scriptedFetch({
        'gen-resume': [{ status: 'found', record: { id: 'gen-resume', total_cost: 0.002 } }],
      });
      const reconciler = second.reconciler({ fetchGeneration: fake.fetchGeneration });
      expect((await reconciler.runOnce()).claimed).toBe(0);
      clock.advance(5000);
      expect(await reconciler.runOnce()).toMatchObject({ reconciled: 1 });
      expect(await second.getRequest(id)).toMatchObject({
        cost: moneyFromUsd('0.002'),
        reconcileAttempts: 2,
      });
    });

    it('runs in the background until stopped', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reconcileAfterMs: 100 });
      await completedRow(ledger, 'gen-bg', 1n);
      const fake = scriptedFetch({
        'gen-bg': [{ status: 'found', record: { id: 'gen-bg', total_cost: 0.5 } }],
      });
      const reconciler = ledger.reconciler({ fetchGeneration: fake.fetchGeneration, intervalMs: 50 });
      reconciler.start();
      await vi.waitFor(() => expect(fake.calls).toHaveLength(0));
      clock.advance(100);
      await vi.waitFor(async () => {
        clock.advance(50);
        expect(fake.calls).toEqual(['gen-bg']);
      });
      await reconciler.stop();
      await vi.waitFor(async () =>
        expect((await ledger.reports.spend()).rows[0]?.spend).toBe(moneyFromUsd('0.5')),
      );
    });
  });
}
