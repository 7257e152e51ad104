import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSimulatorKey } from '../../src/simulator/index.ts';
import { freePort } from '../../test/helpers/postgres.ts';
import type { Plan } from '../options.ts';
import { rssMb, startChild, stopChild } from '../processes.ts';
import { compared, type Metric, single } from '../report.ts';
import { median } from '../stats.ts';

/**
 * Start-up as a user meets it, through bin/tollgate.js: `--help` wall time (bare `node -e 0` is
 * the baseline column), time from spawn until `serve` answers /healthz, and the resident memory
 * of an idle gateway.
 */

const BIN = new URL('../../bin/tollgate.js', import.meta.url).pathname;

/** The environment without anything that would change what the CLI does. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TOLLGATE_') && !name.startsWith('OPENROUTER_')) env[name] = value;
  }
  return { ...env, ...extra };
}

async function wallTimeMs(args: readonly string[]): Promise<number> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...args], { stdio: 'ignore', env: cleanEnv({}) });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`);
  return performance.now() - startedAt;
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
  });
}

interface Served {
  child: ChildProcess;
  readyMs: number;
  dir: string;
}

async function serve(extraEnv: Record<string, string>): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-serve-'));
  const port = await freePort();
  const startedAt = performance.now();
  // cwd is the empty temp folder, so no tollgate.config or .env of the checkout is read.
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: cleanEnv({ TOLLGATE_DB: join(dir, 'ledger.db'), ...extraEnv }),
  });
  const deadline = startedAt + 20_000;
  while (!(await healthy(port))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`tollgate serve did not answer /healthz (exit code ${child.exitCode})`);
    }
    await sleep(5);
  }
  return { child, readyMs: performance.now() - startedAt, dir };
}

async function close(served: Served): Promise<void> {
  await stopChild(served.child);
  rmSync(served.dir, { recursive: true, force: true });
}

/** RSS after the gateway has settled (catalogue loaded), and the anonymous (own) part of it. */
async function settledRss(child: ChildProcess): Promise<{ rss: number; anon: number }> {
  await sleep(2000);
  return { rss: rssMb(child.pid ?? 0) ?? Number.NaN, anon: rssMb(child.pid ?? 0, 'RssAnon') ?? Number.NaN };
}

/** Runs one measurement; a failure (say, a CLI that does not start) becomes a note, not a crash. */
async function attempt<T>(failures: string[], what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

export async function measureStartup(plan: Plan, log: (line: string) => void): Promise<Metric[]> {
  const runs = plan.startupRuns;
  log(`startup: ${runs} runs of --help, serve until /healthz, and idle RSS`);
  const failures: string[] = [];
  const help: number[] = [];
  const bare: number[] = [];
  await attempt(failures, '--help', async () => {
    for (let i = 0; i < runs; i++) {
      bare.push(await wallTimeMs(['-e', '0']));
      help.push(await wallTimeMs([BIN, '--help']));
    }
  });
  const ready: number[] = [];
  const rssWithSimulator: { rss: number; anon: number }[] = [];
  await attempt(failures, 'serve', async () => {
    for (let i = 0; i < runs; i++) {
      const served = await serve({});
      ready.push(served.readyMs);
      if (i === 0) rssWithSimulator.push(await settledRss(served.child));
      await close(served);
    }
  });
  // The gateway alone: `serve` with an upstream key, in front of a simulator in another process.
  const rssAlone = await attempt(failures, 'serve with an upstream key', async () => {
    const sim = await startChild('simulator', new URL('../sim-child.ts', import.meta.url), []);
    try {
      const served = await serve({
        OPENROUTER_API_KEY: createSimulatorKey(),
        OPENROUTER_BASE_URL: sim.info.apiUrl ?? `${sim.url}/api/v1`,
      });
      const rss = await settledRss(served.child);
      await close(served);
      return rss;
    } finally {
      await sim.stop();
    }
  });
  const failed = (what: string) => failures.find((f) => f.startsWith(what));
  const section = 'startup';
  const helpMs = help.length > 0 ? median(help) : null;
  return [
    {
      ...compared(
        {
          section,
          name: 'tollgate --help wall time (baseline: node -e 0)',
          unit: 'ms',
          target: '< 300 ms',
          note: failed('--help'),
        },
        helpMs ?? Number.NaN,
        median(bare),
        'delta',
        () => helpMs !== null && helpMs < 300,
      ),
      ...(helpMs === null ? { gateway: null, met: null } : {}),
    },
    single(
      {
        section,
        name: 'serve: spawn until /healthz answers (built-in simulator)',
        unit: 'ms',
        target: '< 1,000 ms',
        note: failed('serve:') ?? `all runs: ${ready.map((ms) => Math.round(ms)).join(', ')} ms`,
      },
      ready.length > 0 ? median(ready) : null,
      (value) => value < 1000,
    ),
    single(
      {
        section,
        name: 'idle RSS, gateway alone (serve with an upstream key)',
        unit: 'MB',
        target: '< 100 MB',
        note:
          failed('serve with') ??
          (rssAlone
            ? `of which ${rssAlone.anon.toFixed(0)} MB anonymous (heap and native), the rest mapped files`
            : undefined),
      },
      rssAlone?.rss ?? null,
      (value) => value < 100,
    ),
    single(
      { section, name: 'idle RSS, serve with its built-in simulator', unit: 'MB', target: '–' },
      rssWithSimulator[0]?.rss ?? null,
      null,
    ),
  ];
}
