import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type ImportRow, openLedger } from '../src/ledger/index.ts';
import { uuidv7 } from '../src/shared/ids.ts';
import { postgresStatement } from './databases.ts';
import { announceReady } from './processes.ts';

/**
 * Seeds a ledger with finished rows through the bulk path (`importRows`), run as a child process
 * per database: SQLite's import blocks its event loop for seconds per transaction, which would
 * stall anything else the bench process does meanwhile (PostgreSQL's connection timeouts
 * included), and two children seed both dialects at once on two cores.
 *
 * The data: 30 days of calls by 2,000 users through 8 pipeline modules, each module mostly on
 * one of 4 models, 2% failures (cost unknown). Deterministic: the same rows on every run.
 */

export const DAY_MS = 86_400_000;
export const SEED_USERS = 2000;
export const SEED_MODULES = [
  'ingest',
  'classify',
  'summarise',
  'extract',
  'translate',
  'rank',
  'draft',
  'review',
];
const MODELS = [
  ['openai/gpt-4o-mini', 'OpenAI'],
  ['anthropic/claude-sonnet-4', 'Anthropic'],
  ['google/gemini-2.5-flash', 'Google'],
  ['meta-llama/llama-3.3-70b-instruct', 'DeepInfra'],
] as const;
export const SEED_MODELS = MODELS.length;
const SEED_BATCH = 50_000;

/** The 30 UTC days the rows span, ending with today (day-aligned, so the rollup can answer). */
export function seedRange(now: number): { since: number; until: number } {
  const until = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { since: until - 30 * DAY_MS, until };
}

/** A small deterministic generator: the same seed gives the same ledger on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state;
  };
}

/** Rows `from`…`from + count` of `total`, spread evenly in time over [since, since + span). */
function seedRows(from: number, count: number, total: number, since: number, span: number): ImportRow[] {
  const next = lcg(from + 1);
  const rows: ImportRow[] = [];
  for (let i = from; i < from + count; i++) {
    const createdAt = since + Math.floor((i * span) / total);
    const moduleIndex = next() % SEED_MODULES.length;
    // A pipeline module mostly sticks to one model; one call in ten goes elsewhere.
    const modelIndex = next() % 10 === 0 ? next() % MODELS.length : moduleIndex % MODELS.length;
    const [model, provider] = MODELS[modelIndex] ?? MODELS[0];
    const failed = next() % 50 === 0;
    const prompt = 50 + (next() % 2000);
    const completion = failed ? 0 : 10 + (next() % 800);
    rows.push({
      id: uuidv7(createdAt),
      createdAt,
      completedAt: createdAt + 200 + (next() % 3000),
      module: SEED_MODULES[moduleIndex] ?? 'ingest',
      userId: `user-${String(next() % SEED_USERS).padStart(4, '0')}`,
      modelRequested: model,
      model,
      provider,
      streamed: next() % 2 === 0,
      status: failed ? 'error' : 'ok',
      httpStatus: failed ? 502 : 200,
      finishReason: failed ? null : 'stop',
      usage: { promptTokens: prompt, completionTokens: completion },
      cost: failed ? null : BigInt(prompt * 150_000 + completion * 600_000),
      costSource: failed ? null : 'usage',
      latencyMs: 200 + (next() % 3000),
    });
  }
  return rows;
}

async function seedDatabase(url: string, total: number, now: number): Promise<number> {
  const ledger = await openLedger({ url, spoolDir: null, heartbeatMs: 0, reconcileAfterMs: null });
  const { since } = seedRange(now);
  const span = now - since;
  const startedAt = performance.now();
  let lastLog = startedAt;
  try {
    for (let from = 0; from < total; from += SEED_BATCH) {
      await ledger.importRows(seedRows(from, Math.min(SEED_BATCH, total - from), total, since, span));
      if (performance.now() - lastLog > 20_000) {
        lastLog = performance.now();
        process.stderr.write(
          `          reports: ${ledger.dialect} seeded ${from + SEED_BATCH} of ${total} rows\n`,
        );
      }
    }
  } finally {
    await ledger.close();
  }
  // A real database would have been analysed by autovacuum after such an import.
  if (url.startsWith('postgres')) await postgresStatement(url, 'ANALYZE');
  return (performance.now() - startedAt) / 1000;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, rows: { type: 'string' }, now: { type: 'string' } },
  });
  if (!values.url || !values.rows || !values.now)
    throw new Error('seed-ledger: --url, --rows and --now are required');
  const seconds = await seedDatabase(values.url, Number(values.rows), Number(values.now));
  announceReady('', { seconds: String(seconds) });
  process.disconnect?.();
}
