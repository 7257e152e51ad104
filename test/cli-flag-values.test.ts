/**
 * Flag values the CLI must refuse before doing anything (exit 2, one line naming the flag), and
 * the ones it must read as the user meant: money finer than tollgate keeps, impossible dates,
 * durations forwards or back in time, and deletes that must say what they delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, type CliWorld, json, MODEL, startCliWorld } from './cli-helpers.ts';

let world: CliWorld;

beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world.close();
});

function expectUsageError(result: CliResult, pattern: RegExp, what: string): void {
  expect(result.code, `${what}: ${result.stderr}`).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, what).toHaveLength(1);
  expect(lines[0], what).toMatch(pattern);
}

interface BudgetJson {
  id: string;
  scope: string;
  value: string | null;
  window: string;
}

async function budgets(): Promise<BudgetJson[]> {
  return json<BudgetJson[]>(await world.run(['budgets', 'list', '--format', 'json']));
}

describe('budgets rm', () => {
  it('refuses a delete by flags without --scope instead of removing the global budget', async () => {
    for (const args of [
      ['--scope', 'global', '--window', 'day', '--limit', '9'],
      ['--scope', 'module', '--value', 'keepme', '--window', 'day', '--limit', '1'],
    ]) {
      const set = await world.run(['budgets', 'set', ...args]);
      expect(set.code, set.stderr).toBe(0);
    }
    const before = await budgets();

    const rm = await world.run(['budgets', 'rm', '--window', 'day']);
    expectUsageError(rm, /^tollgate budgets rm: .*needs --scope/, 'rm --window day');
    expect(await budgets()).toEqual(before);

    const global = await world.run(['budgets', 'rm', '--scope', 'global', '--window', 'day']);
    expect(global.code, global.stderr).toBe(0);
    expect(global.stdout).toMatch(/Removed global budget \(per day\)/);
    expect((await budgets()).map((budget) => budget.scope)).toEqual(['module']);
  });
});

describe('money flags', () => {
  it('refuse amounts finer than 12 decimal places instead of rounding them to $0', async () => {
    const tiny = '0.000000000000001';
    const cases: [string[], RegExp][] = [
      [
        ['chat', '-m', MODEL, '--max-cost', tiny, 'hi'],
        /^tollgate chat: --max-cost: USD amounts go to 12 decimal places/,
      ],
      [
        ['budgets', 'set', '--scope', 'module', '--value', 'tiny', '--limit', tiny],
        /^tollgate budgets set: --limit: USD amounts go to 12 decimal places/,
      ],
    ];
    const before = world.sim.state.requests().length;
    for (const [args, pattern] of cases) expectUsageError(await world.run(args), pattern, args.join(' '));
    expect(world.sim.state.requests().length).toBe(before);
    expect((await budgets()).map((budget) => budget.value)).not.toContain('tiny');
  });

  it('refuse amounts past what the ledger stores, naming the largest, instead of a database error', async () => {
    const huge = '9223372.036854775808';
    const cases: [string[], RegExp][] = [
      [
        ['budgets', 'set', '--scope', 'module', '--value', 'huge', '--limit', huge],
        /^tollgate budgets set: --limit: at most \$9223372\.036854775807, the largest amount the ledger stores/,
      ],
      [
        ['keys', 'create', '--name', 'huge', '--budget', huge],
        /^tollgate keys create: --budget: at most \$9223372\.036854775807/,
      ],
    ];
    for (const [args, pattern] of cases) expectUsageError(await world.run(args), pattern, args.join(' '));
    expect((await budgets()).map((budget) => budget.value)).not.toContain('huge');
  });
});

describe('time flags', () => {
  it('report times: a duration off the calendar or an impossible date names the flag, not --db', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['spend', '--since', '99999999999d'],
        /^tollgate spend: --since must be within 100,000,000 days of 1970/,
      ],
      [
        ['spend', '--since', '2025-02-30', '--format', 'json'],
        /^tollgate spend: --since must be a real calendar date \(got "2025-02-30": 2025-02 has 28 days\)/,
      ],
      [['requests', '--until', '2025-04-31'], /^tollgate requests: --until must be a real calendar date/],
    ];
    for (const [args, pattern] of cases) {
      const result = await world.run(args);
      expectUsageError(result, pattern, args.join(' '));
      expect(result.stderr).not.toMatch(/--db|TOLLGATE_DB/);
    }
  });

  it('openrouter-keys create --expires-at counts durations forwards and refuses a past date locally', async () => {
    const before = Date.now();
    const created = await world.run([
      'openrouter-keys',
      'create',
      '--name',
      'e',
      '--expires-at',
      '7d',
      '--format',
      'json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { data } = json<{ data: { expires_at: string } }>(created);
    const expires = Date.parse(data.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * 86_400_000 - 1_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000 + 1_000);

    const keyCalls = () => world.sim.state.requests().filter((entry) => entry.path.endsWith('/keys')).length;
    const calls = keyCalls();
    for (const [value, pattern] of [
      ['2020-01-01T00:00:00Z', /--expires-at must be in the future \(got "2020-01-01T00:00:00Z"/],
      ['soon', /--expires-at must be a duration from now .*Example: --expires-at 7d$/],
    ] as const) {
      const refused = await world.run(['openrouter-keys', 'create', '--name', 'e', '--expires-at', value]);
      expectUsageError(refused, pattern, value);
    }
    expect(keyCalls()).toBe(calls);
  });
});
