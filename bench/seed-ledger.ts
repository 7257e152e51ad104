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
 * The data, shaped like a company's traffic through the gateway: 30 days of calls by 20,000 users
 * (a few heavy ones, a long tail: user i's share falls as 1/√i) through 30 pipeline modules, each
 * calling through its own service's gateway key (8 keys) and mostly sticking to one of 12 models
 * (one call in ten goes to another), served by the model's usual provider or, one call in twenty,
 * a fallback; 2% failures (cost unknown). Deterministic: the same rows on every run.
 */

export const DAY_MS = 86_400_000;
export const SEED_USERS = 20_000;
export const SEED_MODULES = [
  'ingest',
  'classify',
  'summarise',
  'extract',
  'translate',
  'rank',
  'draft',
  'review',
  'moderate',
  'tag',
  'route',
  'answer',
  'rewrite',
  'title',
  'embed-prep',
  'dedupe',
  'sentiment',
  'entities',
  'qa-check',
  'outline',
  'expand',
  'compress',
  'caption',
  'ocr-fix',
  'chat',
  'plan',
  'critique',
  'grade',
  'label',
  'report',
];
const MODELS = [
  ['openai/gpt-4o-mini', 'OpenAI', 'Azure'],
  ['openai/gpt-4.1', 'OpenAI', 'Azure'],
  ['openai/o4-mini', 'OpenAI', 'Azure'],
  ['anthropic/claude-sonnet-4', 'Anthropic', 'Amazon Bedrock'],
  ['anthropic/claude-3.5-haiku', 'Anthropic', 'Google Vertex'],
  ['google/gemini-2.5-flash', 'Google', 'Google AI Studio'],
  ['google/gemini-2.5-pro', 'Google', 'Google AI Studio'],
  ['meta-llama/llama-3.3-70b-instruct', 'DeepInfra', 'Together'],
  ['mistralai/mistral-small-3.2', 'Mistral', 'DeepInfra'],
  ['deepseek/deepseek-chat-v3', 'DeepSeek', 'Fireworks'],
  ['qwen/qwen3-32b', 'Cerebras', 'Groq'],
  ['x-ai/grok-3-mini', 'xAI', 'xAI'],
] as const;
export const SEED_MODELS = MODELS.length;
export const SEED_KEYS = 8;
/** A heavy user (the 43rd most active), whose last 100 requests the drill-down reads. */
export const SEED_DRILL_DOWN_USER = 'user-00042';
const SEED_BATCH = 50_000;

/** The 30 UTC days the rows span, ending with today (day-aligned, so the rollup can answer). */
export function seedRange(now: number): { since: number; until: number } {
  const until = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { since: until - 30 * DAY_MS, until };
}

/**
 * A small deterministic generator (mulberry32, 32-bit outputs): the same seed gives the same
 * ledger on every run. Unlike a plain LCG, its low bits are as random as its high ones, so
 * `next() % n` draws do not fall into short cycles.
 */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Rows `from`…`from + count` of `total`, spread evenly in time over [since, since + span). */
function seedRows(from: number, count: number, total: number, since: number, span: number): ImportRow[] {
  const next = generator(from + 1);
  const rows: ImportRow[] = [];
  for (let i = from; i < from + count; i++) {
    const createdAt = since + Math.floor((i * span) / total);
    const moduleIndex = next() % SEED_MODULES.length;
    // A pipeline module mostly sticks to one model; one call in ten goes elsewhere.
    const modelIndex = next() % 10 === 0 ? next() % MODELS.length : moduleIndex % MODELS.length;
    const [model, usual, fallback] = MODELS[modelIndex] ?? MODELS[0];
    const provider = next() % 20 === 0 ? fallback : usual;
    // 1/√i popularity: the square of a uniform draw.
    const uniform = next() / 2 ** 32;
    const user = Math.floor(SEED_USERS * uniform * uniform);
    const failed = next() % 50 === 0;
    const prompt = 50 + (next() % 2000);
    const completion = failed ? 0 : 10 + (next() % 800);
    rows.push({
      id: uuidv7(createdAt),
      createdAt,
      completedAt: createdAt + 200 + (next() % 3000),
      module: SEED_MODULES[moduleIndex] ?? 'ingest',
      userId: `user-${String(user).padStart(5, '0')}`,
      keyId: `key-${moduleIndex % SEED_KEYS}`,
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
