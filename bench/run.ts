import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { lazyPostgres } from './databases.ts';
import { type Plan, parsePlan, type Section } from './options.ts';
import { environment, formatEnvironment, formatTable, type Metric } from './report.ts';
import { measureCapacity } from './sections/capacity.ts';
import { measureLatency } from './sections/latency.ts';
import { measureLedgerWrites } from './sections/ledger-writes.ts';
import { measureReports } from './sections/reports.ts';
import { measureStartup } from './sections/startup.ts';
import { measureStreams } from './sections/streams.ts';
import { measureThroughput } from './sections/throughput.ts';
import { type Stand, startStand } from './stand.ts';

/**
 * `npm run bench`: measures tollgate's gateway against a pass-through baseline, the ledger alone,
 * and start-up, then prints a table and writes bench/results.json. It measures and reports; it
 * never fails on a figure (the exit code is non-zero only when the harness itself breaks).
 */

const plan = parsePlan(process.argv.slice(2));
if ('help' in plan) {
  process.stdout.write(`${plan.help}\n`);
  process.exit(0);
}
if ('error' in plan) {
  process.stderr.write(`bench: ${plan.error}\n`);
  process.exit(2);
}

const startedAt = performance.now();
const log = (line: string) => {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds} s] ${line}\n`);
};

/** Runs one section; a section that breaks is reported and the others still run. */
async function guarded(
  name: string,
  failures: string[],
  run: () => Promise<Metric[] | { metrics: Metric[]; skipped: string[] }>,
  skipped: string[],
): Promise<Metric[]> {
  try {
    const result = await run();
    if (Array.isArray(result)) return result;
    skipped.push(...result.skipped);
    return result.metrics;
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`${name}: FAILED: ${message}`);
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

async function withStand<T>(plan: Plan, run: (stand: Stand) => Promise<T>): Promise<T> {
  log('starting the simulator, the baseline proxy and the gateway (each in its own process)');
  const stand = await startStand({
    profileDir: plan.profileDir,
    sqliteSync: plan.sqliteSync,
    journal: plan.journal,
  });
  try {
    return await run(stand);
  } finally {
    await stand.close();
  }
}

async function runSections(
  plan: Plan,
): Promise<{ metrics: Metric[]; skipped: string[]; failures: string[] }> {
  const metrics: Metric[] = [];
  const skipped: string[] = [];
  const failures: string[] = [];
  const wants = (section: Section) => plan.sections.includes(section);
  const section = async (
    name: Section,
    run: () => Promise<Metric[] | { metrics: Metric[]; skipped: string[] }>,
  ) => {
    if (wants(name)) metrics.push(...(await guarded(name, failures, run, skipped)));
  };
  const sequential = (['latency', 'streams', 'throughput'] as const).filter(wants);
  if (sequential.length > 0) {
    await guarded(
      sequential.join('+'),
      failures,
      () =>
        withStand(plan, async (stand) => {
          await section('latency', () => measureLatency(stand, plan, log));
          await section('streams', () => measureStreams(stand, plan, log));
          await section('throughput', () => measureThroughput(stand, plan, log));
          return [];
        }),
      skipped,
    );
  }
  // A fresh set of processes: memory grown under the throughput load is never given back, and
  // would be counted as the memory the held streams take.
  await section('capacity', () => withStand(plan, (stand) => measureCapacity(stand, plan, log)));
  const postgres = lazyPostgres(plan.postgres);
  try {
    await section('ledger', () => measureLedgerWrites(plan, postgres.get, log));
    await section('reports', () => measureReports(plan, postgres.get, log));
  } finally {
    await postgres.close();
  }
  await section('startup', () => measureStartup(plan, log));
  return { metrics, skipped, failures };
}

const envBefore = environment();
log(`bench (${plan.mode}): ${plan.sections.join(', ')}`);
const { metrics, skipped, failures } = await runSections(plan);
const envAfter = environment();
const seconds = Math.round((performance.now() - startedAt) / 100) / 10;

const lines = [
  '',
  `tollgate bench (${plan.mode}${plan.sqliteSync === 'normal' ? ', gateway ledger synchronous=NORMAL' : ''}` +
    `${plan.journal ? '' : ', no journal'}) — ` +
    `${formatEnvironment(envBefore)}; after the run: ${envAfter.loadAverage.join(' / ')}`,
  '',
  formatTable(metrics),
  ...skipped.map((line) => `skipped: ${line}`),
  ...failures.map((line) => `FAILED: ${line}`),
  '',
  `${seconds} s. Figures are from a shared machine: compare ratios within a run, not absolute numbers.`,
];
if (plan.mode !== 'full' && plan.sections.includes('reports')) {
  lines.push(
    'The report queries at 10M rows (seeding takes minutes): npm run bench -- --full --only reports',
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(
  plan.out,
  `${JSON.stringify(
    {
      mode: plan.mode,
      sections: plan.sections,
      gatewaySqliteSync: plan.sqliteSync,
      gatewayJournal: plan.journal && plan.sqliteSync === 'normal',
      startedAt: new Date(Date.now() - seconds * 1000).toISOString(),
      seconds,
      environment: { ...envBefore, loadAverageAfter: envAfter.loadAverage },
      metrics,
      skipped,
      failures,
    },
    null,
    2,
  )}\n`,
);
log(`results written to ${plan.out}`);
// A section that broke is a broken harness (not a missed target): say so in the exit code.
if (failures.length > 0) process.exitCode = 1;
