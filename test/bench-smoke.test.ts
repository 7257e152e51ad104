import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface BenchResults {
  mode: string;
  failures: string[];
  metrics: {
    section: string;
    name: string;
    gateway: number | null;
    baseline: number | null;
    note?: string;
  }[];
}

/** Runs `npm run bench -- --quick <args>` into a throwaway results file: what it printed and wrote. */
async function quickBench(...args: string[]): Promise<{ stdout: string; results: BenchResults }> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-smoke-'));
  const out = join(dir, 'results.json');
  try {
    const { stdout } = await run(
      process.execPath,
      [new URL('../bench/run.ts', import.meta.url).pathname, '--quick', ...args, '--out', out],
      { timeout: 55_000 },
    );
    return { stdout, results: JSON.parse(readFileSync(out, 'utf8')) as BenchResults };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench asserts no figures, but its harness must keep working: run the smallest slices of it. */
describe('npm run bench', () => {
  it('runs `--quick --only latency`, prints the table and writes parsable JSON', async () => {
    const { stdout, results } = await quickBench('--only', 'latency');
    expect(stdout).toMatch(/metric\s+gateway\s+baseline\s+ratio\/delta\s+target\s+met\?/);
    expect(stdout).toContain('latency c=1: added p50');
    expect(results.mode).toBe('quick');
    expect(results.failures).toEqual([]);
    const added = results.metrics.find((m) => m.name === 'added p50');
    expect(typeof added?.gateway).toBe('number');
    expect(typeof added?.baseline).toBe('number');
  }, 60_000);

  it('runs `--quick --only throughput` and reports the CPU per request that 80% would allow', async () => {
    const { stdout, results } = await quickBench('--only', 'throughput');
    expect(stdout).toContain('throughput c=64 plain: gateway CPU per request that 80% would allow');
    expect(results.failures).toEqual([]);
    const budgets = results.metrics.filter((m) => m.name === 'gateway CPU per request that 80% would allow');
    expect(budgets.map((m) => m.section)).toEqual(['throughput c=64 plain', 'throughput c=64 streamed']);
    for (const budget of budgets) {
      // /proc is readable here, so every part of the budget was measured.
      expect(Number.isFinite(budget.gateway)).toBe(true);
      expect(budget.note).toMatch(/machine idle \d+% in the baseline's runs, \d+% in the gateway's/);
    }
  }, 60_000);
});
