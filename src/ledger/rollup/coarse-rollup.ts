import { ROLLUP_COUNTERS, ROLLUP_DIMENSIONS, type RollupCounters, type RollupEntry } from './rollup-delta.ts';

/**
 * The coarse daily rollup: the daily rollup without its user dimension (day × module × model ×
 * provider × key). With many users the daily rollup grows almost as fast as `requests`; this one
 * grows with days only, so reports and budgets that do not look at users read a few thousand rows
 * instead of millions. It is maintained in the same transactions as the daily rollup, from the
 * same deltas, so the two always agree.
 */

export const COARSE_ROLLUP_DIMENSIONS = ROLLUP_DIMENSIONS.filter(
  (name): name is Exclude<(typeof ROLLUP_DIMENSIONS)[number], 'user_id'> => name !== 'user_id',
);
export type CoarseRollupKey = Record<(typeof COARSE_ROLLUP_DIMENSIONS)[number], string>;

export interface CoarseRollupEntry {
  key: CoarseRollupKey;
  counters: RollupCounters;
}

/** The daily rollup's entries summed over users; cells netting to zero are left out; sorted by key. */
export function coarseEntries(entries: readonly RollupEntry[]): CoarseRollupEntry[] {
  const cells = new Map<string, CoarseRollupEntry>();
  for (const entry of entries) {
    const { day, module, model, provider, key_id } = entry.key;
    const id = `${day}\u0000${module}\u0000${model}\u0000${provider}\u0000${key_id}`;
    const cell = cells.get(id);
    if (!cell)
      cells.set(id, { key: { day, module, model, provider, key_id }, counters: { ...entry.counters } });
    else for (const name of ROLLUP_COUNTERS) cell.counters[name] += entry.counters[name];
  }
  // Sorted like the daily rollup's entries, so concurrent writers lock cells in one order.
  return [...cells.entries()]
    .filter(([, cell]) => ROLLUP_COUNTERS.some((name) => cell.counters[name] !== 0n))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, cell]) => cell);
}
