import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Ledger, openLedger } from '../../src/ledger/index.ts';
import { type BenchDatabase, type PostgresHost, sqliteDatabase } from '../databases.ts';
import type { Plan } from '../options.ts';
import { type Metric, single } from '../report.ts';

/**
 * The ledger alone: many concurrent callers each doing what the gateway does per call (`begin`
 * the pending row, then `complete` it with usage and cost), through the group-commit writer.
 * A row counts once its `complete` has resolved, i.e. once it is durable.
 */

export type PostgresGetter = () => Promise<PostgresHost | { skipped: string }>;

const TARGETS = { sqlite: 20_000, postgres: 5_000 } as const;

async function openBenchLedger(database: BenchDatabase): Promise<Ledger> {
  return openLedger({
    url: database.url,
    spoolDir: null,
    heartbeatMs: 0,
    // No reconciliation is due: the bench measures writes only.
    reconcileAfterMs: null,
  });
}

async function writeRate(ledger: Ledger, callers: number, seconds: number): Promise<number> {
  let completed = 0;
  const deadline = performance.now() + seconds * 1000;
  const caller = async (index: number) => {
    while (performance.now() < deadline) {
      const begun = await ledger.begin({
        module: `module-${index % 8}`,
        userId: `user-${index}`,
        modelRequested: 'openai/gpt-4o-mini',
        streamed: index % 2 === 0,
        estimatedCost: 2_000_000n,
      });
      await ledger.complete(begun.id, {
        status: 'ok',
        generationId: `gen-${randomBytes(9).toString('base64url')}`,
        model: 'openai/gpt-4o-mini',
        provider: 'OpenAI',
        finishReason: 'stop',
        httpStatus: 200,
        usage: { promptTokens: 24, completionTokens: 32 },
        cost: 1_596_000n,
        costSource: 'usage',
        latencyMs: 120,
      });
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
): Promise<Metric> {
  const ledger = await openBenchLedger(database);
  try {
    await writeRate(ledger, plan.ledgerCallers, Math.min(1, plan.ledgerSeconds));
    const rate = await writeRate(ledger, plan.ledgerCallers, plan.ledgerSeconds);
    const stats = ledger.writerStats();
    log(`ledger: ${database.dialect} ${Math.round(rate)} completed rows/s`);
    const target = TARGETS[database.dialect];
    return single(
      {
        section: `ledger ${database.dialect}`,
        name: `completed rows/s (begin + complete, ${plan.ledgerCallers} callers)`,
        unit: 'rows/s',
        target: `≥ ${target.toLocaleString('en')}/s`,
        note: `${Math.round(stats.committedOps / Math.max(1, stats.batches))} writes per transaction on average (largest ${stats.largestBatch})`,
      },
      rate,
      (value) => value >= target,
    );
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
  log(`ledger: ${plan.ledgerSeconds} s of begin + complete per dialect, ${plan.ledgerCallers} callers`);
  const metrics = [await measureDialect(sqliteDatabase(), plan, log)];
  const host = await postgres();
  if ('skipped' in host) return { metrics, skipped: [`ledger on PostgreSQL: ${host.skipped}`] };
  metrics.push(await measureDialect(await host.createDatabase(), plan, log));
  return { metrics, skipped: [] };
}
