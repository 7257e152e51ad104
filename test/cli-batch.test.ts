import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../src/shared/money.ts';
import { ledgerRows, outputIds, type Summary, writeInput } from './cli-batch-helpers.ts';
import { type CliWorld, json, MODEL, parseJsonl, startCliWorld } from './cli-helpers.ts';
import { chatCompletionsSeen } from './simulator-helpers.ts';

let fast: CliWorld;

beforeAll(async () => {
  fast = await startCliWorld();
});
afterAll(async () => {
  await fast.close();
});

describe('tollgate batch (real binary)', () => {
  it('stops at --max-cost with exit 3 and valid output, spends no more than the cap, and resumes', async () => {
    const { path, ids } = writeInput(fast, 'resume.jsonl');
    const out = join(fast.dir, 'resume.out.jsonl');
    const args = [
      'batch',
      path,
      '-o',
      out,
      '-m',
      MODEL,
      '--max-tokens',
      '40',
      '--module',
      'resume',
      '--format',
      'json',
    ];
    const capped = await fast.run([...args, '--concurrency', '4', '--max-cost', '0.0002']);
    expect(
      capped.code,
      `${capped.stderr}\n${existsSync(out) ? readFileSync(out, 'utf8').slice(0, 2000) : ''}`,
    ).toBe(3);
    expect(capped.stderr).toMatch(/stopped by --max-cost \$0\.0002/);
    const first = json<Summary>(capped);
    expect(first).toMatchObject({ stopReason: 'max-cost', exitCode: 3, failed: 0 });
    const written = parseJsonl(readFileSync(out, 'utf8'));
    expect(written.length).toBe(first.done);
    expect(first.done).toBeGreaterThan(0);
    expect(first.done).toBeLessThan(20);
    const writtenSpend = written.reduce((sum, record) => sum + moneyFromUsd(String(record.cost)), 0n);
    expect(moneyFromUsd(first.spentUsd)).toBe(writtenSpend);
    expect(writtenSpend).toBeLessThanOrEqual(moneyFromUsd('0.0002'));
    const rows = await ledgerRows(fast, 'resume');
    expect(rows).toHaveLength(first.done);
    expect(rows.reduce((sum, row) => sum + (row.cost ?? 0n), 0n)).toBe(writtenSpend);
    for (const record of written) {
      expect(record).toMatchObject({
        text: expect.any(String),
        generation_id: expect.stringMatching(/^gen-/),
      });
      expect(record.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    }

    // The same cap again: it covers the output file, so nothing more fits.
    const again = await fast.run([...args, '--max-cost', '0.0002']);
    expect(again.code).toBe(3);
    expect(json<Summary>(again)).toMatchObject({ done: 0, skipped: first.done });

    const rest = await fast.run(args);
    expect(rest.code, rest.stderr).toBe(0);
    expect(json<Summary>(rest)).toMatchObject({
      stopReason: 'complete',
      done: 20 - first.done,
      skipped: first.done,
    });
    expect(outputIds(out).sort()).toEqual([...ids].sort()); // every id exactly once
    expect(await ledgerRows(fast, 'resume')).toHaveLength(20); // and paid for once

    const noop = await fast.run(args);
    expect(noop.code).toBe(0);
    expect(json<Summary>(noop)).toMatchObject({ done: 0, skipped: 20 });
  });

  it('writes an error line for a failed call (exit 1) and --retry-failed runs it again', async () => {
    const { path, ids } = writeInput(fast, 'fail.jsonl', 5);
    const out = join(fast.dir, 'fail.out.jsonl');
    const base = [
      'batch',
      path,
      '-o',
      out,
      '-m',
      MODEL,
      '--max-tokens',
      '20',
      '--concurrency',
      '1',
      '--module',
      'fail',
    ];
    fast.sim.queueFaults(fast.key, ['400']);
    const failed = await fast.run([...base, '--format', 'json']);
    expect(failed.code).toBe(1);
    expect(json<Summary>(failed)).toMatchObject({ stopReason: 'complete', done: 4, failed: 1 });
    expect(failed.stderr).toMatch(/--retry-failed/);
    const records = parseJsonl(readFileSync(out, 'utf8'));
    expect(records).toHaveLength(5);
    const errorLine = records.find((record) => record.error !== undefined);
    expect(errorLine).toMatchObject({
      id: 'p-1',
      error: { status: 400, code: expect.any(String) },
      cost: '0',
    });

    const plain = await fast.run(base);
    expect(plain.code).toBe(0); // already in the output: skipped
    const retried = await fast.run([...base, '--retry-failed', '--format', 'json']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(json<Summary>(retried)).toMatchObject({ done: 1, skipped: 4 });
    const final = parseJsonl(readFileSync(out, 'utf8'));
    expect(final.filter((record) => record.error !== undefined)).toEqual([]);
    expect(final.map((record) => JSON.stringify(record.id)).sort()).toEqual([...ids].sort());
  });

  it('--retry-failed keeps counting billed error lines against --max-cost, across runs', async () => {
    const path = join(fast.dir, 'cap.jsonl');
    writeFileSync(path, '{"prompt":"one line","max_tokens":20}\n');
    const out = join(fast.dir, 'cap.out.jsonl');
    const cap = '0.000015';
    const args = ['batch', path, '-o', out, '-m', MODEL, '--module', 'refiltered', '--max-cost', cap];
    fast.sim.queueFaults(fast.key, ['content-filter', 'content-filter', 'content-filter', 'content-filter']);
    const runs: Summary[] = [];
    for (let run = 0; run < 4; run += 1) {
      const result = await fast.run([...args, '--retry-failed', '--format', 'json']);
      expect([1, 3], result.stderr).toContain(result.code);
      runs.push(json<Summary>(result));
    }
    const rows = await ledgerRows(fast, 'refiltered');
    const billed = rows.reduce((sum, row) => sum + (row.cost ?? 0n), 0n);
    expect(rows.length).toBeGreaterThan(0);
    expect(billed).toBeLessThanOrEqual(moneyFromUsd(cap));
    expect(moneyFromUsd(runs.at(-1)?.totalSpentUsd ?? '')).toBe(billed);
    expect(runs.at(-1)).toMatchObject({ stopReason: 'max-cost', done: 0, failed: 0 });
    // Still one line for the id, carrying what every attempt cost.
    const [line, ...more] = parseJsonl(readFileSync(out, 'utf8'));
    expect(more).toEqual([]);
    expect(moneyFromUsd(String(line?.cost)) + moneyFromUsd(String(line?.earlier_attempts_cost ?? 0))).toBe(
      billed,
    );
  });

  it('stops at a fatal error (budget exhausted) without writing lines, exit 1 and one clear reason', async () => {
    const { path } = writeInput(fast, 'fatal.jsonl', 4);
    const out = join(fast.dir, 'fatal.out.jsonl');
    const set = await fast.run([
      'budgets',
      'set',
      '--scope',
      'module',
      '--value',
      'broke',
      '--limit',
      '0.0000001',
    ]);
    expect(set.code, set.stderr).toBe(0);
    const result = await fast.run(['batch', path, '-o', out, '-m', MODEL, '--module', 'broke']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tollgate batch: Budget exceeded: module "broke"/);
    expect(outputIds(out)).toEqual([]);
  });

  it('a folder or a missing folder as input or output: exit 2 naming the path, the ledger never opened', async () => {
    const good = writeInput(fast, 'paths.jsonl', 1).path;
    const db = join(fast.dir, 'paths-ledger.db'); // its own ledger: opening it would create it
    const missing = join(fast.dir, 'no-such-folder', 'out.jsonl');
    const cases: [string[], RegExp][] = [
      [
        ['batch', good, '-o', missing, '-m', MODEL],
        /^tollgate batch: -o\/--output \S+out\.jsonl: the folder \S+no-such-folder does not exist/,
      ],
      [
        ['batch', fast.dir, '-o', join(fast.dir, 'y.jsonl'), '-m', MODEL],
        /^tollgate batch: cannot read \S+: it is a folder/,
      ],
      [['batch', good, '-o', fast.dir, '-m', MODEL], /^tollgate batch: -o\/--output \S+ is a folder/],
    ];
    for (const [args, pattern] of cases) {
      const result = await fast.run(args, { env: { TOLLGATE_DB: db } });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr).toContain(args[1] === fast.dir ? fast.dir : (args[3] ?? ''));
    }
    expect(existsSync(db)).toBe(false);
    expect(existsSync(join(fast.dir, 'y.jsonl'))).toBe(false);
  });

  it('checks the input and flags before sending anything: exit 2 naming the line or flag', async () => {
    const bad = join(fast.dir, 'bad.jsonl');
    writeFileSync(bad, '"fine"\n{"prompt": "ok", "id": "a"}\n{oops\n');
    const dup = join(fast.dir, 'dup.jsonl');
    writeFileSync(dup, '{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n');
    const shape = join(fast.dir, 'shape.jsonl');
    writeFileSync(shape, '[1, 2]\n');
    const good = writeInput(fast, 'good.jsonl', 2).path;
    const before = chatCompletionsSeen(fast.sim);
    const cases: [string[], RegExp][] = [
      [['batch', bad, '-o', join(fast.dir, 'x.jsonl'), '-m', MODEL], /bad\.jsonl:3: not valid JSON/],
      [
        ['batch', dup, '-o', join(fast.dir, 'x.jsonl'), '-m', MODEL],
        /dup\.jsonl:2: id "a" is also on line 1/,
      ],
      [['batch', shape, '-o', join(fast.dir, 'x.jsonl'), '-m', MODEL], /shape\.jsonl:1: each line must be/],
      [['batch', good, '-m', MODEL], /-o\/--output is required/],
      [['batch', good, '-o', join(fast.dir, 'x.jsonl')], /names no model: pass -m/],
      [['batch', good, '-o', join(fast.dir, 'x.jsonl'), '-m', MODEL, '--concurrency', '0'], /--concurrency/],
      [['batch', good, '-o', join(fast.dir, 'x.jsonl'), '-m', MODEL, '--max-cost', 'lots'], /--max-cost/],
      [['batch', join(fast.dir, 'none.jsonl'), '-o', join(fast.dir, 'x.jsonl'), '-m', MODEL], /no such file/],
    ];
    const results = await Promise.all(cases.map(([args]) => fast.run(args)));
    for (const [index, [args, pattern]] of cases.entries()) {
      expect(results[index]?.code, args.join(' ')).toBe(2);
      const lines = results[index]?.stderr.trim().split('\n') ?? [];
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
    const after = chatCompletionsSeen(fast.sim);
    expect(after).toBe(before);
    expect(existsSync(join(fast.dir, 'x.jsonl'))).toBe(false);
  });
});
