import { performance } from 'node:perf_hooks';
import { type Ledger, openLedger } from '../../src/ledger/index.ts';
import { type BenchDatabase, countRows, sqliteDatabase } from '../databases.ts';
import type { Plan } from '../options.ts';
import { startChild } from '../processes.ts';
import { type Metric, single } from '../report.ts';
import { SEED_MODELS, SEED_MODULES, SEED_USERS, seedRange } from '../seed-ledger.ts';
import { median } from '../stats.ts';
import type { PostgresGetter } from './ledger-writes.ts';

/**
 * Report queries on a full ledger: rows seeded through the bulk path (`importRows`, see
 * seed-ledger.ts) over 30 days, then the two reads people run most: spend by module by day over
 * the 30 days (the daily rollup answers it), and one user's last 100 requests (an index on user
 * and time). The same spend report forced onto the raw `requests` table is shown too, without a
 * target: it is what a status filter or a range off day boundaries costs.
 */

async function timed(repeats: number, query: () => Promise<unknown>): Promise<number> {
  await query();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const startedAt = performance.now();
    await query();
    samples.push(performance.now() - startedAt);
  }
  return median(samples);
}

interface Seeded {
  database: BenchDatabase;
  ledger: Ledger;
  since: number;
  until: number;
  seedSeconds: number;
}

/** Seeds `database` in a child process, then opens it here for the queries. */
async function seedInChild(database: BenchDatabase, rows: number, now: number): Promise<Seeded> {
  try {
    const child = await startChild(
      `seeding ${database.dialect}`,
      new URL('../seed-ledger.ts', import.meta.url),
      ['--url', database.url, '--rows', String(rows), '--now', String(now)],
      { timeoutMs: 2 * 3_600_000 },
    );
    await child.stop();
    const ledger = await openLedger({
      url: database.url,
      spoolDir: null,
      heartbeatMs: 0,
      reconcileAfterMs: null,
    });
    return { database, ledger, ...seedRange(now), seedSeconds: Number(child.info.seconds) };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function query(seeded: Seeded, plan: Plan, concurrent: boolean): Promise<Metric[]> {
  const { database, ledger, since, until } = seeded;
  const rows = plan.reportRows.toLocaleString('en');
  const section = `reports ${database.dialect} ${rows} rows`;
  const spend = await timed(plan.reportRepeats, () =>
    ledger.reports.spend({ since, until, groupBy: ['module', 'day'] }),
  );
  // Seconds per run at 1M rows: timed once, without a warm-up run (it is context, not a target).
  const rawStarted = performance.now();
  await ledger.reports.spend({ since, until, groupBy: ['module', 'day'], source: 'requests' });
  const raw = performance.now() - rawStarted;
  const recent = await timed(plan.reportRepeats, () =>
    ledger.reports.recent({ filters: { user: 'user-0042' }, limit: 100 }),
  );
  const rollupRows = await countRows(database, 'rollup_daily');
  return [
    single(
      {
        section,
        name: 'spend by module by day, 30 days',
        unit: 'ms',
        target: '≤ 100 ms',
        note:
          `served by the daily rollup, which holds ${rollupRows.toLocaleString('en')} rows for ` +
          `${rows} requests (${SEED_USERS} users × ${SEED_MODULES.length} modules × ${SEED_MODELS} models); seeded through ` +
          `importRows at ${Math.round(plan.reportRows / seeded.seedSeconds)} rows/s` +
          (concurrent ? ' (both dialects seeding at once)' : ''),
      },
      spend,
      (value) => value <= 100,
    ),
    single({ section, name: 'same, forced onto the requests table', unit: 'ms', target: '–' }, raw, null),
    single(
      { section, name: "one user's last 100 requests", unit: 'ms', target: '≤ 10 ms' },
      recent,
      (value) => value <= 10,
    ),
  ];
}

export async function measureReports(
  plan: Plan,
  postgres: PostgresGetter,
  log: (line: string) => void,
): Promise<{ metrics: Metric[]; skipped: string[] }> {
  const host = await postgres();
  const skipped = 'skipped' in host ? [`reports on PostgreSQL: ${host.skipped}`] : [];
  const databases = [sqliteDatabase(), ...('skipped' in host ? [] : [await host.createDatabase()])];
  log(
    `reports: seeding ${plan.reportRows.toLocaleString('en')} rows into ${databases.map((d) => d.dialect).join(' and ')}` +
      ' at once (the queries are timed one dialect at a time afterwards)',
  );
  // Seeding dominates this section: both dialects at once, each from its own process.
  const now = Date.now();
  const seeded = await Promise.allSettled(
    databases.map((database) => seedInChild(database, plan.reportRows, now)),
  );
  const metrics: Metric[] = [];
  try {
    for (const result of seeded) {
      if (result.status === 'rejected') throw result.reason;
      metrics.push(...(await query(result.value, plan, databases.length > 1)));
    }
  } finally {
    for (const result of seeded) {
      if (result.status === 'fulfilled') {
        await result.value.ledger.close();
        await result.value.database.drop();
      }
    }
  }
  return { metrics, skipped };
}
