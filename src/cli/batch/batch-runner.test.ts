import { describe, expect, it } from 'vitest';
import type { Money } from '../../shared/money.ts';
import { type BatchItem, parseBatchLine } from './batch-input.ts';
import type { BatchRecord } from './batch-output.ts';
import { BatchRunner, type CallOutcome } from './batch-runner.ts';

function items(count: number): BatchItem[] {
  return Array.from({ length: count }, (_, index) =>
    parseBatchLine(JSON.stringify(`prompt ${index + 1}`), index + 1, 'in'),
  );
}

/** A call that resolves when `release` is called (or at once), costing `cost`. */
function controllableCalls(cost: (item: BatchItem) => Money | null) {
  const pending: (() => void)[] = [];
  let started = 0;
  let maxInFlight = 0;
  let inFlight = 0;
  return {
    pending,
    started: () => started,
    maxInFlight: () => maxInFlight,
    call: (item: BatchItem, signal: AbortSignal): Promise<CallOutcome> => {
      started += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<CallOutcome>((resolve, reject) => {
        const done = () => {
          inFlight -= 1;
          const amount = cost(item);
          resolve({
            record: { id: item.id, text: 'ok', cost: null, generation_id: null },
            cost: amount,
            failed: false,
          });
        };
        signal.addEventListener('abort', () => {
          inFlight -= 1;
          reject(new Error('aborted'));
        });
        pending.push(done);
      });
    },
  };
}

async function drain(pending: (() => void)[], until: () => boolean): Promise<void> {
  for (let guard = 0; guard < 10_000 && !until(); guard += 1) {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('BatchRunner', () => {
  it('never has more than `concurrency` calls in flight and writes one record per item', async () => {
    const calls = controllableCalls(() => 10n);
    const written: BatchRecord[] = [];
    const runner = new BatchRunner({
      items: items(10),
      concurrency: 3,
      call: calls.call,
      write: (r) => written.push(r),
    });
    const run = runner.run();
    let result: Awaited<typeof run> | undefined;
    void run.then((value) => {
      result = value;
    });
    await drain(calls.pending, () => result !== undefined);
    expect(calls.maxInFlight()).toBe(3);
    expect(written.map((record) => record.id)).toHaveLength(10);
    expect(result).toMatchObject({ stopReason: 'complete', done: 10, spent: 100n, notStarted: 0 });
  });

  it('stops before the cap could be crossed: spent + in-flight worst cases + next worst case ≤ cap', async () => {
    // Worst case 30 each, actual cost 20..29: the cap of 100 fits at most 3 worst cases in flight.
    let n = 0;
    const calls = controllableCalls(() => BigInt(20 + (n++ % 10)));
    const runner = new BatchRunner({
      items: items(20),
      concurrency: 8,
      maxCost: 100n,
      worstCase: async () => 30n,
      call: calls.call,
      write: () => undefined,
    });
    const run = runner.run();
    let result: Awaited<typeof run> | undefined;
    void run.then((value) => {
      result = value;
    });
    await drain(calls.pending, () => result !== undefined);
    expect(result?.stopReason).toBe('max-cost');
    expect(result?.spent).toBeLessThanOrEqual(100n);
    expect(calls.maxInFlight()).toBeLessThanOrEqual(3);
    expect((result?.done ?? 0) + (result?.notStarted ?? 0)).toBe(20);
  });

  it('counts earlier runs against the cap and an unknown cost at its worst case', async () => {
    const calls = controllableCalls(() => null);
    const runner = new BatchRunner({
      items: items(5),
      concurrency: 1,
      maxCost: 100n,
      priorSpent: 40n,
      worstCase: async () => 25n,
      call: calls.call,
      write: () => undefined,
    });
    const run = runner.run();
    let result: Awaited<typeof run> | undefined;
    void run.then((value) => {
      result = value;
    });
    await drain(calls.pending, () => result !== undefined);
    expect(result).toMatchObject({ stopReason: 'max-cost', done: 2, spent: 50n, notStarted: 3 });
  });

  it('stop() lets calls in flight finish; abort() drops them unwritten', async () => {
    const calls = controllableCalls(() => 1n);
    const written: BatchRecord[] = [];
    const runner = new BatchRunner({
      items: items(10),
      concurrency: 4,
      call: calls.call,
      write: (r) => written.push(r),
    });
    const run = runner.run();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.started()).toBe(4);
    runner.stop();
    calls.pending.shift()?.();
    calls.pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.started()).toBe(4);
    runner.abort();
    const result = await run;
    expect(result).toMatchObject({ stopReason: 'interrupted', done: 2, aborted: 2, notStarted: 6 });
    expect(written).toHaveLength(2);
  });

  it('a fatal error stops the run and leaves its item unwritten', async () => {
    const written: BatchRecord[] = [];
    let count = 0;
    const runner = new BatchRunner({
      items: items(10),
      concurrency: 1,
      write: (r) => written.push(r),
      call: async (item) => {
        count += 1;
        if (count === 3) throw new Error('401 key rejected');
        return { record: { id: item.id, cost: '0', generation_id: null }, cost: 0n, failed: false };
      },
    });
    const result = await runner.run();
    expect(result).toMatchObject({ stopReason: 'fatal', done: 2, notStarted: 7 });
    expect(String(result.fatalError)).toMatch(/401/);
    expect(written).toHaveLength(2);
  });
});
