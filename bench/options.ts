import { parseArgs } from 'node:util';

/** The bench's flags and how much work each mode does. */

export const SECTIONS = [
  'latency',
  'throughput',
  'streams',
  'capacity',
  'ledger',
  'reports',
  'startup',
] as const;
export type Section = (typeof SECTIONS)[number];

export type Mode = 'quick' | 'default' | 'full';

export interface Plan {
  mode: Mode;
  sections: Section[];
  postgres: boolean;
  out: string;
  /** Folder for the gateway child's CPU profiles (--cpu-prof), when asked for. */
  profileDir: string | undefined;
  /** SQLite `synchronous` of the gateway's ledger: 'normal' as shipped, 'full' to see what an fsync per commit costs. */
  sqliteSync: 'full' | 'normal';
  /** The gateway's ledger journal (on as shipped where SQLite runs NORMAL). */
  journal: boolean;
  /** Sequential calls per target at concurrency 1 (after `latencyWarmup`). */
  latencySamples: number;
  latencyWarmup: number;
  /** Interleaved rounds × seconds per target per round, per concurrency and body kind. */
  throughputRounds: number;
  throughputSeconds: number;
  throughputWarmupSeconds: number;
  concurrencies: number[];
  /** Sequential streamed calls per target for the time to first chunk. */
  ttfcSamples: number;
  /** Paced 64-chunk streams per target, and the pause between chunks. */
  gapStreams: number;
  gapFrameMs: number;
  /** Concurrent streams held open, step by step, and probes per target while they are held. */
  capacitySteps: number[];
  capacityProbes: number;
  /** Seconds of begin+complete per dialect, and how many concurrent callers. */
  ledgerSeconds: number;
  ledgerCallers: number;
  /** Rows seeded before timing the report queries, and timed repetitions of each query. */
  reportRows: number;
  reportRepeats: number;
  startupRuns: number;
}

const USAGE = `Usage: npm run bench -- [--quick | --full] [--only <section>[,<section>…]] [--no-postgres]
                     [--out <file>] [--profile <dir>] [--sqlite-sync full|normal] [--no-journal]

  --quick        a short smoke run (< 60 s): checks the harness, figures are rough
  --full         the report queries at 10M rows (seeding takes minutes) and 4,000 held streams
  --only         run only these sections: ${SECTIONS.join(', ')}
  --no-postgres  skip the PostgreSQL half of the ledger sections
  --out          where to write the JSON results (default bench/results.json)
  --profile      write CPU profiles of the gateway process (.cpuprofile, one per set of
                 processes started) into this folder, for Chrome DevTools or speedscope;
                 'node bench/profile-summary.ts <dir>/*.cpuprofile' charges one to tollgate's parts
  --sqlite-sync  normal (default, as shipped) or full: the SQLite synchronous setting of the
                 gateway's ledger and of the ledger section, to see what an fsync per commit costs
  --no-journal   the gateway's ledger commits every write before acknowledging it (as with
                 --sqlite-sync full, but without the fsync), to see what its journal saves

Set TOLLGATE_BENCH_PG_URL to use an existing PostgreSQL server (its user may CREATE DATABASE)
instead of starting a throwaway cluster.`;

export function parsePlan(argv: readonly string[]): Plan | { help: string } | { error: string } {
  let values: {
    quick?: boolean;
    full?: boolean;
    only?: string;
    'no-postgres'?: boolean;
    out?: string;
    profile?: string;
    'sqlite-sync'?: string;
    'no-journal'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        only: { type: 'string' },
        'no-postgres': { type: 'boolean' },
        out: { type: 'string' },
        profile: { type: 'string' },
        'sqlite-sync': { type: 'string' },
        'no-journal': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { error: `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}` };
  }
  if (values.help) return { help: USAGE };
  if (values.quick && values.full) return { error: '--quick and --full exclude each other.' };
  const sqliteSync = values['sqlite-sync'] ?? 'normal';
  if (sqliteSync !== 'full' && sqliteSync !== 'normal') return { error: '--sqlite-sync is full or normal.' };
  const sections = values.only ? values.only.split(',').map((s) => s.trim()) : [...SECTIONS];
  const unknown = sections.filter((s) => !SECTIONS.includes(s as Section));
  if (unknown.length > 0)
    return { error: `unknown section ${unknown.join(', ')}; use ${SECTIONS.join(', ')}` };
  const mode: Mode = values.quick ? 'quick' : values.full ? 'full' : 'default';
  return {
    ...AMOUNTS[mode],
    mode,
    sections: sections as Section[],
    postgres: !values['no-postgres'],
    out: values.out ?? new URL('./results.json', import.meta.url).pathname,
    profileDir: values.profile,
    sqliteSync,
    journal: !values['no-journal'],
  };
}

type Amounts = Omit<Plan, 'mode' | 'sections' | 'postgres' | 'out' | 'profileDir' | 'sqliteSync' | 'journal'>;

// Sized so the default run stays under 10 minutes on a shared 2-core machine.
const DEFAULT: Amounts = {
  latencySamples: 1200,
  latencyWarmup: 300,
  throughputRounds: 5,
  throughputSeconds: 3,
  throughputWarmupSeconds: 2,
  concurrencies: [64, 256],
  ttfcSamples: 600,
  gapStreams: 4,
  gapFrameMs: 20,
  capacitySteps: [250, 500, 1000, 2000],
  capacityProbes: 100,
  ledgerSeconds: 5,
  ledgerCallers: 256,
  reportRows: 1_000_000,
  reportRepeats: 10,
  startupRuns: 5,
};

const AMOUNTS: Record<Mode, Amounts> = {
  quick: {
    latencySamples: 150,
    latencyWarmup: 50,
    throughputRounds: 1,
    throughputSeconds: 1,
    throughputWarmupSeconds: 0.5,
    concurrencies: [64],
    ttfcSamples: 50,
    gapStreams: 1,
    gapFrameMs: 5,
    capacitySteps: [100],
    capacityProbes: 20,
    ledgerSeconds: 1,
    ledgerCallers: 64,
    reportRows: 20_000,
    reportRepeats: 3,
    startupRuns: 1,
  },
  default: DEFAULT,
  full: { ...DEFAULT, capacitySteps: [250, 500, 1000, 2000, 4000], reportRows: 10_000_000 },
};
