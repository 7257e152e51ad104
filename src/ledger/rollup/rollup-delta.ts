import { dimension } from '../db-values.ts';
import type { RequestStatus } from '../ledger-types.ts';

export const ROLLUP_COUNTERS = [
  'request_count',
  'ok_count',
  'error_count',
  'filtered_count',
  'cancelled_count',
  'interrupted_count',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'cost_sum',
  'unknown_cost_count',
  'estimated_cost_sum',
  'upstream_cost_sum',
  'latency_sum_ms',
  'latency_count',
] as const;
export type RollupCounter = (typeof ROLLUP_COUNTERS)[number];
export type RollupCounters = Record<RollupCounter, bigint>;

export const ROLLUP_DIMENSIONS = ['day', 'module', 'user_id', 'model', 'provider', 'key_id'] as const;
export type RollupKey = Record<(typeof ROLLUP_DIMENSIONS)[number], string>;

/** The fields of a `requests` row that its rollup contribution depends on. */
export interface RollupFacts {
  createdAt: number;
  module: string;
  userId: string | null;
  keyId: string | null;
  modelRequested: string;
  model: string | null;
  provider: string | null;
  status: RequestStatus;
  promptTokens: number | null;
  completionTokens: number | null;
  reasoningTokens: number | null;
  cachedTokens: number | null;
  cacheWriteTokens: number | null;
  cost: bigint | null;
  estimatedCost: bigint | null;
  upstreamInferenceCost: bigint | null;
  latencyMs: number | null;
}

const DAY_MS = 86_400_000;
const dayNames = new Map<number, string>();

/** `YYYY-MM-DD` (UTC) of an epoch-ms time; memoised per day, as bulk paths call it per row. */
export function utcDay(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

export function rollupKeyOf(facts: RollupFacts): RollupKey {
  return {
    day: utcDay(facts.createdAt),
    module: facts.module,
    user_id: dimension(facts.userId),
    model: facts.model ?? facts.modelRequested,
    provider: dimension(facts.provider),
    key_id: dimension(facts.keyId),
  };
}

function big(value: number | null): bigint {
  return value === null ? 0n : BigInt(value);
}

/** What one row adds to its rollup cell; a pending row adds nothing. */
export function contributionOf(facts: RollupFacts): RollupCounters | null {
  if (facts.status === 'pending') return null;
  return {
    request_count: 1n,
    ok_count: facts.status === 'ok' ? 1n : 0n,
    error_count: facts.status === 'error' ? 1n : 0n,
    filtered_count: facts.status === 'filtered' ? 1n : 0n,
    cancelled_count: facts.status === 'cancelled' ? 1n : 0n,
    interrupted_count: facts.status === 'interrupted' ? 1n : 0n,
    prompt_tokens: big(facts.promptTokens),
    completion_tokens: big(facts.completionTokens),
    reasoning_tokens: big(facts.reasoningTokens),
    cached_tokens: big(facts.cachedTokens),
    cache_write_tokens: big(facts.cacheWriteTokens),
    cost_sum: facts.cost ?? 0n,
    unknown_cost_count: facts.cost === null ? 1n : 0n,
    estimated_cost_sum: facts.estimatedCost ?? 0n,
    upstream_cost_sum: facts.upstreamInferenceCost ?? 0n,
    latency_sum_ms: big(facts.latencyMs),
    latency_count: facts.latencyMs === null ? 0n : 1n,
  };
}

export interface RollupEntry {
  key: RollupKey;
  counters: RollupCounters;
}

/**
 * Accumulates signed contributions per rollup cell, so a batch of completions, a re-costing
 * (old row out, new row in) or an import becomes one upsert per touched cell.
 */
export class RollupDelta {
  readonly #cells = new Map<string, RollupEntry>();

  add(facts: RollupFacts, sign: 1n | -1n = 1n): void {
    const contribution = contributionOf(facts);
    if (!contribution) return;
    if (sign === -1n) for (const name of ROLLUP_COUNTERS) contribution[name] = -contribution[name];
    const key = rollupKeyOf(facts);
    const id = `${key.day}\u0000${key.module}\u0000${key.user_id}\u0000${key.model}\u0000${key.provider}\u0000${key.key_id}`;
    const entry = this.#cells.get(id);
    // A new cell takes the contribution as it is: on the hot path most cells are new in their batch.
    if (!entry) this.#cells.set(id, { key, counters: contribution });
    else for (const name of ROLLUP_COUNTERS) entry.counters[name] += contribution[name];
  }

  /** Replaces `before` by `after` (either may be absent). */
  replace(before: RollupFacts | null, after: RollupFacts | null): void {
    if (before) this.add(before, -1n);
    if (after) this.add(after, 1n);
  }

  /** Cells with a non-zero change, sorted by key so concurrent writers lock rows in one order. */
  entries(): RollupEntry[] {
    return [...this.#cells.entries()]
      .filter(([, entry]) => ROLLUP_COUNTERS.some((name) => entry.counters[name] !== 0n))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, entry]) => entry);
  }

  get size(): number {
    return this.#cells.size;
  }
}

export function emptyCounters(): RollupCounters {
  const counters = {} as RollupCounters;
  for (const name of ROLLUP_COUNTERS) counters[name] = 0n;
  return counters;
}
