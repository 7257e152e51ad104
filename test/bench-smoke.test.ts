import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

describe('bench/profile-summary.ts', () => {
  const script = new URL('../bench/profile-summary.ts', import.meta.url).pathname;

  it('charges each sample to the innermost frame of a known part, and lists functions by self time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-profile-summary-'));
    try {
      const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
      // undici called from the client (the client's), a SQLite statement (the ledger's), idle.
      const profile = {
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
          { id: 2, callFrame: frame('send', 'file:///app/src/client/transport.ts'), children: [3] },
          { id: 3, callFrame: frame('dispatch', 'file:///app/node_modules/undici/lib/x.js') },
          { id: 4, callFrame: frame('commit', 'file:///app/src/ledger/write/sqlite-statements.ts') },
          { id: 5, callFrame: frame('(idle)', '') },
        ],
        samples: [3, 3, 4, 5],
        timeDeltas: [3000, 3000, 2000, 9000],
      };
      const file = join(dir, 'gateway.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      const { stdout } = await run(process.execPath, [script, file, '--top', '5']);
      expect(stdout).toContain('busy 8 ms, idle 9 ms');
      expect(stdout).toMatch(/75\.0%\s+6 ms {2}client \+ undici/);
      expect(stdout).toMatch(/25\.0%\s+2 ms {2}ledger/);
      expect(stdout).toMatch(/75\.0%\s+6 ms {2}dispatch node_modules\/undici\/lib\/x\.js:1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [[], /name at least one \.cpuprofile file/],
    [['a.cpuprofile', '--top', '0'], /--top takes a whole number of at least 1, not "0"/],
  ])('refuses %j with the usage and exit code 2, not a stack trace', async (args, message) => {
    const failure = await run(process.execPath, [script, ...args]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(message);
    expect(failure?.stderr).toContain('usage: node bench/profile-summary.ts');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });
});
