import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerRows, outputIds, writeInput } from './cli-batch-helpers.ts';
import { type CliWorld, MODEL, spawnCli, startCliWorld, waitUntil } from './cli-helpers.ts';

let slow: CliWorld;

beforeAll(async () => {
  // Paced output (about 0.75 s per call at --max-tokens 30), so Ctrl-C lands mid-run.
  slow = await startCliWorld({ tokensPerSecond: 40 });
});
afterAll(async () => {
  await slow.close();
});

describe('tollgate batch and Ctrl-C (real binary, real signals)', () => {
  it('Ctrl-C stops starting calls, finishes the ones in flight, exits 130; a rerun completes it', async () => {
    const { path, ids } = writeInput(slow, 'sigint.jsonl');
    const out = join(slow.dir, 'sigint.out.jsonl');
    const base = ['batch', path, '-o', out, '-m', MODEL, '--max-tokens', '30', '--module', 'sigint'];
    const run = spawnCli([...base, '--concurrency', '2', '--progress-interval', '0.2'], {
      env: slow.env,
      cwd: slow.dir,
    });
    await waitUntil(() => outputIds(out).length >= 2, 20_000, 'two output lines');
    run.child.kill('SIGINT');
    expect(await run.exit, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/Ctrl-C/);
    expect(run.stderr()).toMatch(/batch: \d+\/20 done/); // periodic plain progress lines off a terminal
    const partial = outputIds(out);
    expect(partial.length).toBeLessThan(20);
    expect(new Set(partial).size).toBe(partial.length);
    const rows = await ledgerRows(slow, 'sigint');
    expect(rows.filter((row) => row.status === 'pending')).toEqual([]);
    expect(rows.filter((row) => row.status === 'ok')).toHaveLength(partial.length);

    const rerun = await slow.run([...base, '--concurrency', '16', '--format', 'json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(outputIds(out).sort()).toEqual([...ids].sort());
  });

  it('a second Ctrl-C aborts the calls in flight: no partial line, and they run again next time', async () => {
    const { path, ids } = writeInput(slow, 'abort.jsonl', 8);
    const out = join(slow.dir, 'abort.out.jsonl');
    const base = ['batch', path, '-o', out, '-m', MODEL, '--max-tokens', '30', '--module', 'abort'];
    const run = spawnCli([...base, '--concurrency', '4'], { env: slow.env, cwd: slow.dir });
    await waitUntil(() => outputIds(out).length >= 1, 20_000, 'one output line');
    run.child.kill('SIGINT');
    await waitUntil(() => run.stderr().includes('Ctrl-C'), 5_000, 'the first Ctrl-C to be seen');
    run.child.kill('SIGINT');
    expect(await run.exit, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/aborting the calls in flight/);
    const partial = outputIds(out);
    const rows = await ledgerRows(slow, 'abort');
    expect(rows.filter((row) => row.status === 'ok')).toHaveLength(partial.length);
    expect(rows.filter((row) => row.status === 'pending')).toEqual([]);

    const rerun = await slow.run([...base, '--concurrency', '8']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(outputIds(out).sort()).toEqual([...ids].sort());
  });
});
