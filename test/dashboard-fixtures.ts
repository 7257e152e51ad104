import type { CompletionStatus, ImportRow, Ledger } from '../src/ledger/index.ts';
import { uuidv7 } from '../src/shared/ids.ts';

/** Shared by the dashboard's API and browser tests: a ledger seeded with varied, hostile data. */

export const HOSTILE_MODULE = '<img src=x onerror=alert(1)>';
export const HOSTILE_USER = '"><script>alert(2)</script>';
export const MODULES = ['summarize', 'extract', 'chat', HOSTILE_MODULE] as const;
/** Ten named users, a hostile one and rows with none: more groups than the chart stacks. */
export const USERS = [...Array.from({ length: 10 }, (_, index) => `u-${index}`), HOSTILE_USER, null] as const;
export const MODELS = [
  { model: 'openai/gpt-4o-mini', provider: 'OpenAI' },
  { model: 'google/gemini-2.5-flash-lite', provider: 'Google' },
  { model: 'anthropic/claude-sonnet-4', provider: 'Anthropic' },
] as const;
const STATUSES: CompletionStatus[] = [
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
  'error',
  'cancelled',
  'filtered',
  'interrupted',
];

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rows over the last five days (every hour of the last day too), and some 40 days back that a
 * 7-day view must leave out. Costs are exact picodollar amounts; some unknown (null).
 */
export function seedRows(now: number, count = 400, seed = 7): ImportRow[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const rows: ImportRow[] = [];
  for (let index = 0; index < count; index++) {
    const old = index % 20 === 19;
    // Half the recent rows within the last 23 hours (hourly chart), the rest over five days.
    const ageMs = old
      ? 40 * DAY + Math.floor(next() * DAY)
      : index % 2 === 0
        ? 60_000 + Math.floor(next() * 22 * HOUR)
        : Math.floor(next() * 5 * DAY);
    const createdAt = now - ageMs;
    const status = pick(STATUSES);
    const served = pick(MODELS);
    const failed = status === 'error' || status === 'interrupted';
    const costKnown = !failed && next() > 0.05;
    const cost = costKnown ? BigInt(1 + Math.floor(next() * 9_000_000)) * 1000n : null;
    const estimatedCost = costKnown ? ((cost as bigint) * BigInt(90 + Math.floor(next() * 20))) / 100n : null;
    rows.push({
      id: uuidv7(createdAt),
      createdAt,
      completedAt: createdAt + 500,
      module: index < 4 ? (MODULES[index] as string) : pick(MODULES),
      userId: pick(USERS),
      keyId: pick(['k-1', 'k-2', null]),
      modelRequested: served.model,
      model: failed ? null : served.model,
      provider: failed ? null : served.provider,
      status,
      httpStatus: status === 'error' ? 502 : status === 'ok' ? 200 : null,
      errorCode: status === 'error' ? 'upstream_bad_gateway' : null,
      errorMessage: status === 'error' ? 'provider returned 502' : null,
      usage: { promptTokens: 10 + Math.floor(next() * 2000), completionTokens: Math.floor(next() * 800) },
      cost,
      costSource: costKnown ? (next() < 0.8 ? 'usage' : 'estimate') : null,
      estimatedCost,
      latencyMs: 50 + Math.floor(next() * 4000),
      streamed: next() < 0.5,
    });
  }
  return rows;
}

export async function seedLedger(ledger: Ledger, now: number): Promise<ImportRow[]> {
  const rows = seedRows(now);
  const inserted = await ledger.importRows(rows);
  if (inserted !== rows.length) throw new Error(`seeded ${inserted} of ${rows.length} rows`);
  return rows;
}

/** Nearest-rank percentile, written again here so the test does not trust the code it checks. */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] ?? null;
}
