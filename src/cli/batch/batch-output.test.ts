import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../../shared/money.ts';
import { idKey, parseBatchLine, readBatchInput, withDefaults } from './batch-input.ts';
import { BatchOutput, compactBatchOutput, readExistingOutput } from './batch-output.ts';

const dirs: string[] = [];
function tempFile(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-batch-'));
  dirs.push(dir);
  const path = join(dir, 'out.jsonl');
  if (text !== undefined) writeFileSync(path, text);
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('batch output', () => {
  it('appends whole lines and reports the ids already done with what they cost', async () => {
    const path = tempFile();
    const output = new BatchOutput(path);
    output.write({ id: 1, text: 'a', cost: '0.001', generation_id: 'gen-1' });
    output.write({ id: 'x', error: { code: 'bad_request', message: 'no' }, cost: '0', generation_id: null });
    output.close();
    const existing = await readExistingOutput(path, false);
    expect([...existing.done].sort()).toEqual([idKey('x'), idKey(1)].sort());
    expect(existing).toMatchObject({ dropped: 0, spent: 1_000_000_000n });
  });

  it('cuts an unterminated last line so the file stays valid JSONL', async () => {
    const path = tempFile('{"id":1,"cost":"0.5"}\n{"id":2,"co');
    const existing = await readExistingOutput(path, false);
    expect([...existing.done]).toEqual([idKey(1)]);
    expect(existing.dropped).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('{"id":1,"cost":"0.5"}\n');
  });

  it('with retryFailed, runs failed ids again but keeps counting what they were billed', async () => {
    const path = tempFile(
      '{"id":1,"cost":"0.5"}\n{"id":2,"error":{"code":"content_filter","message":"y"},"cost":"0.25"}\n',
    );
    const existing = await readExistingOutput(path, true);
    expect([...existing.done]).toEqual([idKey(1)]);
    expect(existing).toMatchObject({ retrying: 1, dropped: 0, spent: moneyFromUsd('0.75') });
    // Nothing is removed before the retry is written: a run that stops first forgets no cost.
    expect(await readExistingOutput(path, true)).toMatchObject({ spent: moneyFromUsd('0.75') });
  });

  it('folds a retried id into one line whose earlier_attempts_cost keeps the failed attempts', async () => {
    const path = tempFile(
      '{"id":2,"error":{"code":"content_filter","message":"y"},"cost":"0.25"}\n{"id":1,"cost":"0.5"}\n',
    );
    const output = new BatchOutput(path);
    output.write({
      id: 2,
      error: { code: 'content_filter', message: 'again' },
      cost: '0.125',
      generation_id: null,
    });
    output.close();
    await compactBatchOutput(path);
    const afterFailedRetry = readFileSync(path, 'utf8').trim().split('\n');
    expect(afterFailedRetry).toHaveLength(2);
    expect(JSON.parse(afterFailedRetry[1] ?? '')).toMatchObject({
      id: 2,
      cost: '0.125',
      earlier_attempts_cost: '0.25',
    });
    expect(await readExistingOutput(path, true)).toMatchObject({ retrying: 1, spent: moneyFromUsd('0.875') });

    const retry = new BatchOutput(path);
    retry.write({ id: 2, text: 'ok', cost: '0.0625', generation_id: 'gen-2' });
    retry.close();
    const existing = await readExistingOutput(path, true);
    expect(existing).toMatchObject({ retrying: 0, spent: moneyFromUsd('0.9375') });
    expect([...existing.done].sort()).toEqual([idKey(1), idKey(2)].sort());
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { id: 1, cost: '0.5' },
      { id: 2, text: 'ok', cost: '0.0625', generation_id: 'gen-2', earlier_attempts_cost: '0.375' },
    ]);
  });

  it('a missing file means nothing done yet', async () => {
    expect(await readExistingOutput(join(tmpdir(), 'tollgate-no-such-output.jsonl'), false)).toMatchObject({
      dropped: 0,
      spent: 0n,
    });
  });
});

describe('batch input lines', () => {
  it('accepts a prompt string, {"prompt"} and {"messages"}, with ids and per-line fields', () => {
    expect(parseBatchLine('"hello"', 3, 'in')).toMatchObject({
      id: 3,
      request: { messages: [{ role: 'user', content: 'hello' }] },
      fromPrompt: true,
    });
    const prompt = parseBatchLine(
      '{"id":"a","prompt":"hi","system":"be brief","model":"m","module":"s"}',
      1,
      'in',
    );
    expect(prompt).toMatchObject({ id: 'a', key: '"a"' });
    expect(prompt.request).toEqual({
      model: 'm',
      module: 's',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
    });
    const full = parseBatchLine('{"messages":[{"role":"user","content":"x"}],"max_tokens":5}', 2, 'in');
    expect(withDefaults(full, { module: 'batch', model: 'd', maxTokens: 99, system: 'ignored' })).toEqual({
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 5,
      model: 'd',
      module: 'batch',
    });
    expect(withDefaults(parseBatchLine('"q"', 1, 'in'), { module: 'b', system: 'sys' }).messages[0]).toEqual({
      role: 'system',
      content: 'sys',
    });
  });

  it('reads a file that starts with a UTF-8 byte order mark (Windows editors write one)', async () => {
    const path = tempFile('\uFEFF"x"\n{"id":"b","prompt":"y"}\n');
    const items = await readBatchInput(path);
    expect(items.map((item) => [item.id, item.request.messages[0]?.content])).toEqual([
      [1, 'x'],
      ['b', 'y'],
    ]);
  });

  it('names the file and line of a bad one', () => {
    expect(() => parseBatchLine('{oops', 4, 'in.jsonl')).toThrow(/^in\.jsonl:4: not valid JSON/);
    expect(() => parseBatchLine('[1]', 2, 'in.jsonl')).toThrow(/^in\.jsonl:2: each line must be/);
    expect(() => parseBatchLine('{"prompt":""}', 1, 'f')).toThrow(/"prompt" must be a non-empty string/);
    expect(() => parseBatchLine('{"id":true,"prompt":"x"}', 1, 'f')).toThrow(/"id" must be/);
    expect(() => parseBatchLine('{"messages":[]}', 1, 'f')).toThrow(/"messages" must be a non-empty array/);
    expect(() => parseBatchLine('{"prompt":"x","messages":[{}]}', 1, 'f')).toThrow(/not both/);
  });
});
