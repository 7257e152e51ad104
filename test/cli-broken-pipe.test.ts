import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { BIN, type CliWorld, MODEL, spawnCli, startCliWorld } from './cli-helpers.ts';

/**
 * `tollgate … | head`: the reader leaves early, and the next write to stdout fails with EPIPE.
 * Closing our end of the pipe as soon as the child starts makes that failure certain (with a real
 * `head` it depends on timing), so each case runs into it every time.
 */
let world: CliWorld;
let slow: CliWorld;

beforeAll(async () => {
  [world, slow] = await Promise.all([startCliWorld(), startCliWorld({ tokensPerSecond: 5 })]);
  // One row, so `spend` has something to print.
  const call = await world.run(['chat', 'hi', '-m', MODEL, '--max-tokens', '5']);
  expect(call.code, call.stderr).toBe(0);
});
afterAll(async () => {
  await Promise.all([world.close(), slow.close()]);
});

/** Runs the CLI with its stdout closed from the start; the exit code and what reached stderr. */
async function withReaderGone(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const run = spawnCli(args, { env: world.env, cwd: world.dir });
  run.child.stdout.destroy();
  return { code: await run.exit, stderr: run.stderr() };
}

describe('a reader that leaves early (EPIPE)', () => {
  it('ends doctor, spend, requests, credits and simulate --list-faults quietly with 141', async () => {
    const commands = [
      ['doctor'],
      ['spend', '--by', 'day'],
      ['spend', '--format', 'csv'],
      ['requests'],
      ['credits'],
      ['simulate', '--list-faults'],
    ];
    const results = await Promise.all(commands.map((args) => withReaderGone(args)));
    for (const [index, result] of results.entries()) {
      const what = commands[index]?.join(' ');
      expect(result.stderr, what).toBe('');
      expect(result.code, what).toBe(141);
    }
  });

  it('keeps a failure the command reported: doctor with a failing check still exits 1', async () => {
    const run = spawnCli(['doctor'], {
      env: { ...world.env, OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1' },
      cwd: world.dir,
    });
    run.child.stdout.destroy();
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toBe('');
  });

  it('a streamed chat whose reader leaves is cancelled, recorded with its generation id, and exits 141', async () => {
    const run = spawnCli(['chat', 'Tell me a long story', '-m', MODEL, '--stream', '--max-tokens', '30'], {
      env: slow.env,
      cwd: slow.dir,
    });
    // Like `head -c 5`: read the start of the answer, then go away.
    await new Promise<void>((resolve) => run.child.stdout.once('data', () => resolve()));
    const closedAt = Date.now();
    run.child.stdout.destroy();
    expect(await run.exit).toBe(141);
    // 30 tokens at 5 a second would take 6 s: the call was stopped, not run to its end.
    expect(Date.now() - closedAt).toBeLessThan(4_000);
    expect(run.stderr()).toBe('');
    const ledger = await openLedger({ url: slow.db, heartbeatMs: 0 });
    try {
      const rows = await ledger.reports.recent({ limit: 10 });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'cancelled', streamed: true, module: 'cli' });
      expect(rows[0]?.generationId).toMatch(/^gen-/);
      expect(rows[0]?.completedAt).not.toBeNull();
    } finally {
      await ledger.close();
    }
  });

  it('any other write error is reported in one line and exits 1', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [BIN, 'simulate', '--list-faults'], {
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
        stdio: ['ignore', full, 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (data: Buffer) => {
        stderr += data.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      expect(code).toBe(1);
      expect(stderr).toBe('tollgate: cannot write the output (ENOSPC); what was printed is incomplete.\n');
    } finally {
      closeSync(full);
    }
  });
});
