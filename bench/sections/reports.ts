import { performance } from 'node:perf_hooks';
import { type Ledger, openLedger } from '../../src/ledger/index.ts';
import { type BenchDatabase, countRows, sqliteDatabase, timedQuery } from '../databases.ts';
import type { Plan } from '../options.ts';
import { startChild } from '../processes.ts';
import { type Metric, single } from '../report.ts';
import {
  SEED_DRILL_DOWN_USER,
  SEED_KEYS,
  SEED_MODELS,
  SEED_MODULES,
  SEED_USERS,
  seedRange,
} from '../seed-ledger.ts';
import { median } from '../stats.ts';
import type { PostgresGetter } from './ledger-writes.ts';

/**
 * Report queries on a full ledger: rows seeded through the bulk path (`importRows`, see
 * seed-ledger.ts) over 30 days, then the two reads people run most: spend by module by day over
 * the 30 days (the coarse rollup, without users, answers it), and one user's last 100 requests
 * (an index on user and time). Shown too, without targets: one user's spend by day (the daily
 * rollup, through its user index), and the module-by-day report forced onto the raw `requests`
 * table (what a status filter or a range off day boundaries costs).
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

/**
 * The module-by-day report as it ran before the coarse rollup: the same aggregates over the daily
 * rollup, which has a row per user. Raw SQL (the ledger always picks the coarse table now).
 */
function moduleByDayOnDailyRollup(dialect: BenchDatabase['dialect']): string {
  const money = (column: string) =>
    dialect === 'sqlite'
      ? `coalesce(sum(${column} >> 20), 0), coalesce(sum(${column} & 1048575), 0)`
      : `coalesce(sum(${column}), 0)::text`;
  const sums = ['request_count', 'error_count', 'unknown_cost_count', 'prompt_tokens', 'completion_tokens']
    .concat(['reasoning_tokens', 'cached_tokens', 'cache_write_tokens', 'latency_sum_ms', 'latency_count'])
    .map((column) => `sum(${column})`);
  return `select module, day, ${sums.join(', ')}, ${money('cost_sum')}, ${money('estimated_cost_sum')},
    ${money('upstream_cost_sum')} from rollup_daily where day >= ? and day < ? group by module, day`;
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
    ledger.reports.recent({ filters: { user: SEED_DRILL_DOWN_USER }, limit: 100 }),
  );
  const userDays = await timed(plan.reportRepeats, () =>
    ledger.reports.spend({ since, until, groupBy: ['day'], filters: { user: SEED_DRILL_DOWN_USER } }),
  );
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const onDailyRollup = await timedQuery(
    database,
    moduleByDayOnDailyRollup(database.dialect),
    [day(since), day(until)],
    plan.reportRepeats,
  );
  const rollupRows = await countRows(database, 'rollup_daily');
  const coarseRows = await countRows(database, 'rollup_daily_coarse');
  return [
    single(
      {
        section,
        name: 'spend by module by day, 30 days',
        unit: 'ms',
        target: '≤ 100 ms',
        note:
          `served by the coarse rollup (no user dimension): ${coarseRows.toLocaleString('en')} rows; ` +
          `the daily rollup holds ${rollupRows.toLocaleString('en')} for ${rows} requests ` +
          `(${SEED_USERS.toLocaleString('en')} users, ${SEED_MODULES.length} modules, ${SEED_MODELS} models, ` +
          `${SEED_KEYS} keys); seeded through importRows at ${Math.round(plan.reportRows / seeded.seedSeconds)} rows/s` +
          (concurrent ? ' (both dialects seeding at once)' : ''),
      },
      spend,
      (value) => value <= 100,
    ),
    single(
      {
        section,
        name: 'same, from the daily rollup (with users)',
        unit: 'ms',
        target: '–',
        note: 'the plan before the coarse rollup, timed as raw SQL',
      },
      onDailyRollup,
      null,
    ),
    single({ section, name: 'same, forced onto the requests table', unit: 'ms', target: '–' }, raw, null),
    single(
      { section, name: "one user's last 100 requests", unit: 'ms', target: '≤ 10 ms' },
      recent,
      (value) => value <= 10,
    ),
    single(
      {
        section,
        name: "one user's spend by day, 30 days",
        unit: 'ms',
        target: '–',
        note: 'served by the daily rollup through its user index',
      },
      userDays,
      null,
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
