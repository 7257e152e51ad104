import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type BeginRequest, type Ledger, openLedger, type RequestOutcome } from '../../src/ledger/index.ts';
import { type BenchDatabase, type PostgresHost, sqliteDatabase } from '../databases.ts';
import type { Plan } from '../options.ts';
import { type Metric, single } from '../report.ts';
import { percentile } from '../stats.ts';

/**
 * The ledger alone, doing what the gateway does per call: `begin` the pending row, then
 * `complete` it with usage and cost, through the group-commit writer. Two figures per dialect:
 *  - latency at concurrency 1: each `begin` and `complete` timed alone, with a turn of the event
 *    loop between them (the gateway never begins and completes a call in the same turn: the
 *    upstream call is in between);
 *  - throughput: many concurrent callers; a row counts once its `complete` has resolved, i.e.
 *    once it is durable.
 * SQLite runs with the gateway's `synchronous` setting (`--sqlite-sync`, NORMAL as shipped).
 */

export type PostgresGetter = () => Promise<PostgresHost | { skipped: string }>;

const TARGETS = { sqlite: 20_000, postgres: 5_000 } as const;
/** Sequential calls timed at concurrency 1, after as many again to warm up. */
const SEQUENTIAL_CALLS = 2000;

async function openBenchLedger(database: BenchDatabase, plan: Plan): Promise<Ledger> {
  return openLedger({
    url: database.url,
    spoolDir: null,
    heartbeatMs: 0,
    // No reconciliation is due: the bench measures writes only.
    reconcileAfterMs: null,
    sqlite: { synchronous: plan.sqliteSync },
  });
}

function beginRequest(index: number): BeginRequest {
  return {
    module: `module-${index % 8}`,
    userId: `user-${index}`,
    modelRequested: 'openai/gpt-4o-mini',
    streamed: index % 2 === 0,
    estimatedCost: 2_000_000n,
  };
}

/**
 * The generation ids' random bytes, drawn a pool at a time: one `randomBytes` call per id cost the
 * load generator about 5% of the measured rate, time the ledger does not spend.
 */
const RANDOM_IDS_PER_DRAW = 4096;
let randomHex = '';
let randomHexAt = 0;
function randomSuffix(): string {
  if (randomHexAt >= randomHex.length) {
    randomHex = randomBytes(10 * RANDOM_IDS_PER_DRAW).toString('hex');
    randomHexAt = 0;
  }
  randomHexAt += 20;
  return randomHex.slice(randomHexAt - 20, randomHexAt);
}

function outcome(): RequestOutcome {
  return {
    status: 'ok',
    // OpenRouter's observed form, `gen-<unix seconds>-<20 alnum>`: new ids sort after older ones,
    // as in production, so the unique index takes them near its end, not at random places.
    generationId: `gen-${Math.floor(Date.now() / 1000)}-${randomSuffix()}`,
    model: 'openai/gpt-4o-mini',
    provider: 'OpenAI',
    finishReason: 'stop',
    httpStatus: 200,
    usage: { promptTokens: 24, completionTokens: 32 },
    cost: 1_596_000n,
    costSource: 'usage',
    latencyMs: 120,
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** p50 and p99 (ms) of `begin` and of `complete`, one call at a time. */
async function sequentialLatency(ledger: Ledger, calls: number) {
  const begins: number[] = [];
  const completes: number[] = [];
  for (let index = 0; index < calls * 2; index++) {
    const request = beginRequest(index % 256);
    const result = outcome();
    await nextTurn();
    const started = performance.now();
    const begun = await ledger.begin(request);
    const begunAt = performance.now();
    await nextTurn();
    const completing = performance.now();
    await ledger.complete(begun.id, result);
    const completed = performance.now();
    if (index < calls) continue;
    begins.push(begunAt - started);
    completes.push(completed - completing);
  }
  return {
    begin: { p50: percentile(begins, 50), p99: percentile(begins, 99) },
    complete: { p50: percentile(completes, 50), p99: percentile(completes, 99) },
  };
}

async function writeRate(ledger: Ledger, callers: number, seconds: number): Promise<number> {
  let completed = 0;
  const deadline = performance.now() + seconds * 1000;
  const caller = async (index: number) => {
    while (performance.now() < deadline) {
      const begun = await ledger.begin(beginRequest(index));
      await ledger.complete(begun.id, outcome());
      completed++;
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: callers }, (_, i) => caller(i)));
  return completed / ((performance.now() - startedAt) / 1000);
}

async function measureDialect(
  database: BenchDatabase,
  plan: Plan,
  log: (line: string) => void,
): Promise<Metric[]> {
  const ledger = await openBenchLedger(database, plan);
  const setting = database.dialect === 'sqlite' ? `, synchronous=${plan.sqliteSync.toUpperCase()}` : '';
  const section = `ledger ${database.dialect}`;
  try {
    const calls = plan.mode === 'quick' ? 200 : SEQUENTIAL_CALLS;
    const latency = await sequentialLatency(ledger, calls);
    log(
      `ledger: ${database.dialect} at concurrency 1: begin p50 ${Math.round(latency.begin.p50 * 1000)} µs, ` +
        `complete p50 ${Math.round(latency.complete.p50 * 1000)} µs`,
    );
    await writeRate(ledger, plan.ledgerCallers, Math.min(1, plan.ledgerSeconds));
    const before = ledger.writerStats();
    const rate = await writeRate(ledger, plan.ledgerCallers, plan.ledgerSeconds);
    const stats = ledger.writerStats();
    const batches = stats.batches - before.batches;
    const ops = stats.committedOps - before.committedOps;
    log(`ledger: ${database.dialect} ${Math.round(rate)} completed rows/s`);
    const target = TARGETS[database.dialect];
    const c1 = (op: 'begin' | 'complete') =>
      single(
        {
          section,
          name: `${op} at concurrency 1, p50`,
          unit: 'µs',
          target: '–',
          note: `${op} p99 ${Math.round(latency[op].p99 * 1000)} µs over ${calls} sequential calls${setting}`,
        },
        latency[op].p50 * 1000,
        null,
      );
    return [
      c1('begin'),
      c1('complete'),
      single(
        {
          section,
          name: `completed rows/s (begin + complete, ${plan.ledgerCallers} callers)`,
          unit: 'rows/s',
          target: `≥ ${target.toLocaleString('en')}/s`,
          note: `${Math.round(ops / Math.max(1, batches))} writes per transaction on average (largest ${stats.largestBatch})${setting}`,
        },
        rate,
        (value) => value >= target,
      ),
    ];
  } finally {
    await ledger.close();
    await database.drop();
  }
}

export async function measureLedgerWrites(
  plan: Plan,
  postgres: PostgresGetter,
  log: (line: string) => void,
): Promise<{ metrics: Metric[]; skipped: string[] }> {
  log(
    `ledger: begin + complete per dialect, one at a time, then ${plan.ledgerSeconds} s with ${plan.ledgerCallers} callers`,
  );
  const metrics = await measureDialect(sqliteDatabase(), plan, log);
  const host = await postgres();
  if ('skipped' in host) return { metrics, skipped: [`ledger on PostgreSQL: ${host.skipped}`] };
  metrics.push(...(await measureDialect(await host.createDatabase(), plan, log)));
  return { metrics, skipped: [] };
}
