import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { settleHeapAfterStartup } from './settle-heap.ts';

describe('settleHeapAfterStartup', () => {
  it('collects start-up garbage and gives the heap back, without leaving gc exposed', () => {
    const heapSize = () => getHeapStatistics().total_heap_size;
    // Start-up-like garbage: many short-lived objects, most of them dead by now.
    let kept = 0;
    for (let round = 0; round < 20; round++) {
      const garbage = Array.from({ length: 50_000 }, (_, index) => ({ index, text: `item ${index}` }));
      kept += garbage.length;
    }
    expect(kept).toBe(1_000_000);
    const settled = settleHeapAfterStartup(heapSize);
    expect(settled).toBeDefined();
    expect(settled?.heapAfter).toBeLessThan(settled?.heapBefore ?? 0);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
