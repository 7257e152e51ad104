import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerRow, openLedger } from '../src/ledger/index.ts';
import { moneyFromUsd, moneyToUsdString } from '../src/shared/money.ts';
import { type CliWorld, json, MODEL, startCliWorld } from './cli-helpers.ts';

let world: CliWorld;
let rows: LedgerRow[];
let lastCallAt: number;

async function allRows(): Promise<LedgerRow[]> {
  const ledger = await openLedger({ url: world.db, heartbeatMs: 0 });
  try {
    return await ledger.reports.recent({ limit: 1000 });
  } finally {
    await ledger.close();
  }
}

beforeAll(async () => {
  world = await startCliWorld();
  // Traffic across two modules, two users and two models, plus one failed call.
  const input = join(world.dir, 'traffic.jsonl');
  const lines = [
    { module: 'summarize', user: 'u-1', prompt: 'one' },
    { module: 'summarize', user: 'u-2', prompt: 'two' },
    { module: 'summarize', user: 'u-1', prompt: 'three', model: 'google/gemini-2.5-flash-lite' },
    { module: 'extract', user: 'u-1', prompt: 'four' },
    { module: 'extract', user: 'u-2', prompt: 'five', model: 'google/gemini-2.5-flash-lite' },
  ];
  writeFileSync(input, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const batch = await world.run([
    'batch',
    input,
    '-o',
    join(world.dir, 'traffic.out.jsonl'),
    '-m',
    MODEL,
    '--max-tokens',
    '30',
  ]);
  expect(batch.code, batch.stderr).toBe(0);
  world.sim.queueFaults(world.key, ['400']);
  const failed = await world.run(['chat', '-m', MODEL, '--module', 'extract', 'fails']);
  expect(failed.code).toBe(1);
  lastCallAt = Date.now();
  rows = await allRows();
  expect(rows).toHaveLength(6);
});
afterAll(async () => {
  await world.close();
});

interface SpendJson {
  groupBy: string[];
  rows: (Record<string, string | number | null> & { requests: number; spendUsd: string })[];
  total: { requests: number; errors: number; spendUsd: string };
}

describe('ledger reports through the CLI', () => {
  it('spend --by module,model: groups and totals equal the ledger rows', async () => {
    const [result, user, table, csv, past] = await Promise.all([
      world.run(['spend', '--by', 'module,model', '--since', '7d', '--format', 'json']),
      world.run(['spend', '--by', 'user', '--user', 'u-2', '--format', 'json']),
      world.run(['spend', '--by', 'module']),
      world.run(['spend', '--by', 'module', '--format', 'csv']),
      world.run(['spend', '--since', '2020-01-01', '--until', '2020-01-02', '--format', 'json']),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = json<SpendJson>(result);
    expect(report.groupBy).toEqual(['module', 'model']);
    const ledgerTotal = rows.reduce((sum, row) => sum + (row.cost ?? 0n), 0n);
    expect(report.total).toMatchObject({ requests: 6, errors: 1, spendUsd: moneyToUsdString(ledgerTotal) });
    for (const group of report.rows) {
      const members = rows.filter(
        (row) => row.module === group.module && (row.model ?? row.modelRequested) === group.model,
      );
      expect(group.requests).toBe(members.length);
      expect(moneyFromUsd(group.spendUsd)).toBe(members.reduce((sum, row) => sum + (row.cost ?? 0n), 0n));
    }
    expect(report.rows.map((row) => `${row.module}/${row.model}`).sort()).toEqual([
      'extract/google/gemini-2.5-flash-lite',
      'extract/openai/gpt-4o-mini',
      'summarize/google/gemini-2.5-flash-lite',
      'summarize/openai/gpt-4o-mini',
    ]);

    const byUser = json<SpendJson>(user);
    expect(byUser.rows).toHaveLength(1);
    expect(byUser.rows[0]).toMatchObject({ user: 'u-2', requests: 2 });

    expect(table.stdout).toMatch(/^module +requests +errors/m);
    expect(table.stdout).toMatch(/^summarize +3 /m);
    expect(table.stdout).toContain(`total: $${moneyToUsdString(ledgerTotal)} over 6 requests`);

    const [header, ...csvRows] = csv.stdout.trim().split(/\r?\n/);
    expect(header).toBe(
      'module,requests,errors,unknownCost,promptTokens,completionTokens,reasoningTokens,cachedTokens,spendUsd,estimatedSpendUsd,avgLatencyMs',
    );
    expect(csvRows).toHaveLength(2);

    expect(json<SpendJson>(past)).toMatchObject({ rows: [], total: { requests: 0, spendUsd: '0' } });
  });

  it('bad report flags: exit 2 and one line naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['spend', '--since', 'banana'], /^tollgate spend: --since must be a duration .*\(got "banana"\)/],
      [['spend', '--by', 'colour'], /--by: "colour" is not one of module, user/],
      [['spend', '--format', 'xml'], /--format must be one of table, csv, json/],
      [['spend', '--since', '1d', '--until', '2d'], /--since must be before --until/],
      [['requests', '--status', 'weird'], /--status: "weird" is not one of/],
      [['requests', '--limit', '5000'], /--limit must be a whole number from 1 to 1000/],
      [['drift', '--until', 'yesterday-ish'], /--until/],
    ];
    const results = await Promise.all(cases.map(([args]) => world.run(args)));
    for (const [index, [args, pattern]] of cases.entries()) {
      const result = results[index];
      expect(result?.code, args.join(' ')).toBe(2);
      const lines = result?.stderr.trim().split('\n') ?? [];
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
  });

  it('CSV with no rows still prints the header line, the same as with rows', async () => {
    const none = ['--module', 'nosuch', '--format', 'csv'];
    const some = ['--format', 'csv'];
    const runs = await Promise.all(
      [['spend', '--by', 'module,day'], ['requests'], ['drift']].flatMap((command) => [
        world.run([...command, ...none]),
        world.run([...command, ...some]),
      ]),
    );
    for (let index = 0; index < runs.length; index += 2) {
      const [empty, full] = [runs[index], runs[index + 1]];
      expect(empty?.code, empty?.stderr).toBe(0);
      expect(full?.stdout.split('\r\n').length).toBeGreaterThan(2);
      // Exactly the header of the report with rows, and nothing else.
      expect(empty?.stdout).toBe(`${full?.stdout.split('\r\n')[0]}\r\n`);
    }
    expect(runs[0]?.stdout).toMatch(/^module,day,requests,errors,/);
    expect(runs[2]?.stdout).toMatch(/^id,createdAt,module,user,key,model,/);
    expect(runs[4]?.stdout).toBe('model,requests,estimatedUsd,billedUsd,driftUsd,driftRatio\r\n');
  });

  it('requests filters by module and status, newest first', async () => {
    const [recentRun, errorsRun, table] = await Promise.all([
      world.run(['requests', '--module', 'summarize', '--limit', '2', '--format', 'json']),
      world.run(['requests', '--module', 'extract', '--status', 'error', '--format', 'json']),
      world.run(['requests', '--user', 'u-1']),
    ]);
    const recent = json<LedgerRow[]>(recentRun);
    expect(recent).toHaveLength(2);
    expect(recent.every((row) => row.module === 'summarize')).toBe(true);
    expect(recent[0]?.createdAt).toBeGreaterThanOrEqual(recent[1]?.createdAt ?? 0);
    expect(typeof recent[0]?.cost).toBe('string'); // exact USD text, not a float

    const errors = json<LedgerRow[]>(errorsRun);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ status: 'error', httpStatus: 400, module: 'extract' });

    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toHaveLength(1 + 3);
  });

  it('drift compares estimates with billed costs per model', async () => {
    const drift = json<
      { model: string; requests: number; estimatedUsd: string; billedUsd: string; driftUsd: string }[]
    >(await world.run(['drift', '--format', 'json']));
    expect(drift.map((row) => row.model).sort()).toEqual(['google/gemini-2.5-flash-lite', MODEL]);
    for (const row of drift) {
      expect(moneyFromUsd(row.billedUsd) - moneyFromUsd(row.estimatedUsd)).toBe(
        moneyFromUsd(row.driftUsd.replace('-', '')) * (row.driftUsd.startsWith('-') ? -1n : 1n),
      );
    }
    expect(drift.reduce((sum, row) => sum + row.requests, 0)).toBe(5);
  });

  it('generation shows what OpenRouter billed; reconcile confirms the rows', async () => {
    const row = rows.find((candidate) => candidate.generationId !== null && candidate.status === 'ok');
    const [generation, table, missing] = await Promise.all([
      world.run(['generation', row?.generationId ?? '', '--wait', '5', '--format', 'json']),
      world.run(['generation', row?.generationId ?? '', '--wait', '5']),
      world.run(['generation', 'gen-nope']),
    ]);
    expect(generation.code, generation.stderr).toBe(0);
    const record = json<{ id: string; total_cost: number }>(generation);
    expect(record.id).toBe(row?.generationId);
    expect(moneyFromUsd(record.total_cost)).toBe(row?.cost);
    expect(table.stdout).toMatch(/^cost +\$/m);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found.*--wait/);

    // Rows become due for reconciliation 2 s after they complete.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastCallAt + 2_500 - Date.now())));
    const reconcile = await world.run(['reconcile', '--format', 'json']);
    expect(reconcile.code, reconcile.stderr).toBe(0);
    expect(json(reconcile)).toMatchObject({ claimed: 5, reconciled: 5, costChanged: 0, failed: 0 });
    const after = await allRows();
    expect(
      after.filter((candidate) => candidate.status === 'ok').every((candidate) => candidate.reconciledAt),
    ).toBe(true);
    const again = await world.run(['reconcile']);
    expect(again.stdout).toMatch(/Nothing due/);
  });
});

describe('OpenRouter reads through the CLI', () => {
  interface ModelJson {
    id: string;
    contextLength: number | null;
    promptUsdPerMillion: string | null;
    inputModalities: string[];
    outputModalities: string[];
  }

  it('models filters by price, search, provider, context and modality; prices per million tokens', async () => {
    // The simulator's own catalogue, read directly: the reference the CLI's filtering is checked against.
    const catalogue = (await (await fetch(`${world.sim.url}/models`)).json()) as {
      data: { id: string; pricing: { prompt: string } }[];
    };
    const runs = await Promise.all([
      world.run(['models', '--max-price', '0.15', '--format', 'json']),
      world.run(['models', '--search', 'gemini', '--sort', 'price', '--format', 'json']),
      world.run(['models', '--provider', 'anthropic', '--format', 'json']),
      world.run(['models', '--min-context', '1000000', '--sort', 'context', '--format', 'json']),
      world.run(['models', '--modality', 'image', '--format', 'json']),
      world.run(['models', '--search', 'gpt-4o-mini']),
    ]);
    const [cheap, gemini, anthropic, long, images] = runs.slice(0, 5).map((run) => json<ModelJson[]>(run));
    const table = runs[5] ?? { code: null, stdout: '', stderr: '' };
    if (!cheap || !gemini || !anthropic || !long || !images) throw new Error('missing run');
    const expected = catalogue.data
      .filter(
        (model) =>
          Number(model.pricing.prompt) >= 0 &&
          moneyFromUsd(model.pricing.prompt) * 1_000_000n <= moneyFromUsd('0.15'),
      )
      .map((model) => model.id)
      .sort();
    expect(cheap.map((model) => model.id).sort()).toEqual(expected);
    expect(cheap.map((model) => model.id)).toContain(MODEL);
    expect(cheap.find((model) => model.id === MODEL)?.promptUsdPerMillion).toBe('0.15');

    expect(gemini.length).toBeGreaterThan(1);
    expect(gemini.every((model) => model.id.includes('gemini'))).toBe(true);
    const prices = gemini.map((model) => moneyFromUsd(model.promptUsdPerMillion ?? '0'));
    expect([...prices].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(prices);

    expect(anthropic.length).toBeGreaterThan(0);
    expect(anthropic.every((model) => model.id.startsWith('anthropic/'))).toBe(true);

    expect(long.length).toBeGreaterThan(0);
    expect(long.every((model) => (model.contextLength ?? 0) >= 1_000_000)).toBe(true);

    expect(images.length).toBeGreaterThan(0);
    expect(
      images.every((model) => [...model.inputModalities, ...model.outputModalities].includes('image')),
    ).toBe(true);

    expect(table.stdout).toMatch(/^model +context +prompt \$\/M +completion \$\/M/m);
    expect(table.stdout).toMatch(/openai\/gpt-4o-mini +128,000 +\$0\.15 +\$0\.6/);
  });

  it('credits shows the balance and the key usage the simulator billed', async () => {
    const credits = json<{
      credits: { totalUsd: string; usedUsd: string; remainingUsd: string };
      key: { usageUsd: string; limitUsd: string | null };
    }>(await world.run(['credits', '--format', 'json']));
    const billed = world.sim.state.account(world.key)?.totalUsageExact ?? '-1';
    expect(moneyFromUsd(credits.key.usageUsd)).toBe(moneyFromUsd(billed));
    expect(credits.credits.totalUsd).toBe('100');
    expect(moneyFromUsd(credits.credits.remainingUsd)).toBe(moneyFromUsd('100') - moneyFromUsd(billed));
    const table = await world.run(['credits']);
    expect(table.stdout).toMatch(/^credits +\$[\d.]+ remaining of \$100/m);
  });
});
