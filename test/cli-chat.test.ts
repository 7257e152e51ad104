import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { moneyFromUsd } from '../src/shared/money.ts';
import { type CliWorld, json, MODEL, startCliWorld } from './cli-helpers.ts';
import { chatCompletionsSeen } from './simulator-helpers.ts';

let world: CliWorld;

beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world.close();
});

interface ChatJson {
  text: string;
  data?: unknown;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  cost: string;
  generationId: string;
  requestId: string;
}

async function ledgerRow(db: string, id: string) {
  const ledger = await openLedger({ url: db, heartbeatMs: 0 });
  try {
    return await ledger.getRequest(id);
  } finally {
    await ledger.close();
  }
}

describe('tollgate chat (real binary against the simulator)', () => {
  it('--format json prints one object and writes one ledger row with the same cost', async () => {
    const result = await world.run([
      'chat',
      '-m',
      MODEL,
      '--module',
      'summarize',
      '--user',
      'u-42',
      '--system',
      'Be brief.',
      '--temperature',
      '0.3',
      '--max-tokens',
      '60',
      '--format',
      'json',
      'Name three rivers',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const answer = json<ChatJson>(result);
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.model).toBe(MODEL);
    expect(answer.generationId).toMatch(/^gen-/);
    expect(answer.cost).toMatch(/^\d+(\.\d+)?$/);
    const row = await ledgerRow(world.db, answer.requestId);
    expect(row).toMatchObject({
      module: 'summarize',
      userId: 'u-42',
      status: 'ok',
      generationId: answer.generationId,
    });
    expect(row?.cost).toBe(moneyFromUsd(answer.cost));
    expect(row?.completionTokens).toBe(answer.usage.completion_tokens);
    // What the simulator billed this account, computed by its own code.
    expect(moneyFromUsd(world.sim.state.account(world.key)?.totalUsageExact ?? '-1')).toBeGreaterThanOrEqual(
      moneyFromUsd(answer.cost),
    );
  });

  it('prints only the answer on stdout (pipeable) and tokens, cost and generation id on stderr', async () => {
    const modes = ['--stream', '--no-stream'];
    const results = await Promise.all(
      modes.map((mode) => world.run(['chat', '-m', MODEL, mode, '--max-tokens', '40', 'Say hello'])),
    );
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().length).toBeGreaterThan(0);
      expect(result.stdout).not.toMatch(/gen-|\$/);
      expect(result.stderr).toMatch(/\d+ in \/ \d+ out tokens · \$[\d.]+ · gen-\S+/);
    }
  });

  it('reads the prompt from stdin with "-" and sends --reasoning', async () => {
    const result = await world.run(
      [
        'chat',
        '-m',
        'openai/gpt-5-mini',
        '--reasoning',
        'low',
        '--max-tokens',
        '300',
        '--format',
        'json',
        '-',
      ],
      { stdin: 'What is 2 + 2?' },
    );
    expect(result.code, result.stderr).toBe(0);
    const answer = json<ChatJson & { reasoning?: string }>(result);
    expect(answer.model).toBe('openai/gpt-5-mini');
    expect(answer.reasoning?.length ?? 0).toBeGreaterThan(0);
  });

  it('--schema sends a strict json_schema and returns the parsed data', async () => {
    const schemaPath = join(world.dir, 'city.schema.json');
    writeFileSync(
      schemaPath,
      JSON.stringify({
        title: 'city',
        type: 'object',
        properties: { name: { type: 'string' }, population: { type: 'integer' } },
        required: ['name', 'population'],
        additionalProperties: false,
      }),
    );
    const result = await world.run([
      'chat',
      '-m',
      MODEL,
      '--schema',
      schemaPath,
      '--max-tokens',
      '200',
      '--format',
      'json',
      'Describe a city',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const answer = json<ChatJson>(result);
    // The simulator answers in JSON matching the schema only when a json_schema format was sent.
    expect(answer.data).toMatchObject({ name: expect.any(String), population: expect.any(Number) });
    expect(Object.keys(answer.data as object).sort()).toEqual(['name', 'population']);

    const text = await world.run([
      'chat',
      '-m',
      MODEL,
      '--schema',
      schemaPath,
      '--no-stream',
      'Describe a city',
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(JSON.parse(text.stdout)).toMatchObject({ name: expect.any(String) });
  });

  it('a budget set with `budgets set` stops a chat over it: exit 1 and a clear message', async () => {
    const set = await world.run([
      'budgets',
      'set',
      '--scope',
      'module',
      '--value',
      'tight',
      '--window',
      'day',
      '--limit',
      '0.000001',
      '--format',
      'json',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(json(set)).toMatchObject({
      scope: 'module',
      scopeValue: 'tight',
      window: 'day',
      limitUsd: '0.000001',
    });
    const before = chatCompletionsSeen(world.sim);
    const chat = await world.run(['chat', '-m', MODEL, '--module', 'tight', '--max-tokens', '500', 'Hello']);
    expect(chat.code).toBe(1);
    const lines = chat.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tollgate chat: Budget exceeded: module "tight" budget \(per day\) limit \$0\.000001/,
    );
    expect(lines[0]).toMatch(/tollgate budgets set/);
    expect(chatCompletionsSeen(world.sim)).toBe(before);

    const list = await world.run(['budgets', 'list', '--format', 'json']);
    const budgets = json<{ id: string; value: string; spentUsd: string }[]>(list);
    expect(budgets.find((b) => b.value === 'tight')).toMatchObject({ spentUsd: '0' });
    const rm = await world.run(['budgets', 'rm', budgets.find((b) => b.value === 'tight')?.id ?? '']);
    expect(rm.code, rm.stderr).toBe(0);
    const again = await world.run(['chat', '-m', MODEL, '--module', 'tight', '--max-tokens', '20', 'Hello']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('refuses bad flags and missing settings with one line and exit code 2, before any call', async () => {
    const before = chatCompletionsSeen(world.sim);
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['chat', '-m', MODEL, '--temperature', 'hot', 'Hi'], /--temperature/],
      [['chat', '-m', MODEL, '--reasoning', 'extreme', 'Hi'], /--reasoning must be one of low, medium, high/],
      [['chat', '-m', MODEL, '--max-tokens', '0', 'Hi'], /--max-tokens/],
      [['chat', '-m', MODEL, '--schema', 'missing.json', 'Hi'], /--schema: cannot read missing\.json/],
      [['chat', 'Hi'], /which model\? Pass -m/],
      [['chat', '-m', MODEL], /no prompt|prompt read from stdin is empty/],
      [['chat', '-m', MODEL, 'Hi'], /OPENROUTER_API_KEY is not set/, { OPENROUTER_API_KEY: '' }],
      [['chat', '--bogus'], /unknown option/],
    ];
    const results = await Promise.all(cases.map(([args, , env]) => world.run(args, env ? { env } : {})));
    for (const [index, [args, pattern]] of cases.entries()) {
      const result = results[index] ?? { code: null, stdout: '', stderr: '' };
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')[0], args.join(' ')).toMatch(pattern);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(chatCompletionsSeen(world.sim)).toBe(before);
  });

  it('an upstream failure is one line and exit code 1', async () => {
    world.sim.queueFaults(world.key, ['400']);
    const result = await world.run(['chat', '-m', MODEL, '--no-stream', 'Hi']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^tollgate chat: OpenRouter 400/);
  });
});
