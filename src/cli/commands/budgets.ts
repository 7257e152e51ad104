import type { Command } from 'commander';
import type { Budget, BudgetCheck, HeldReservation, Ledger } from '../../ledger/index.ts';
import type { Column } from '../output.ts';
import { addDbOption } from '../report-flags.ts';

interface BudgetFlags {
  olderThan?: string;
  all?: boolean;
  includeReconcilable?: boolean;
  scope?: string;
  value?: string;
  window?: string;
  limit?: string;
  db?: string;
  format?: string;
}

const SCOPE_HELP = 'global, module, user or key';
const WINDOW_HELP = 'day, week, month or total';

export function registerBudgetsCommand(program: Command): void {
  const budgets = program
    .command('budgets')
    .description('Spending limits per module, user, gateway key or overall, per day/week/month/total');

  addDbOption(
    budgets
      .command('set')
      .description('Create a budget, or change the limit of the one with the same scope, value and window')
      .option('--scope <scope>', SCOPE_HELP, 'global')
      .option('--value <value>', 'the module name, user id or key id (not for global)')
      .option('--window <window>', WINDOW_HELP, 'day')
      .option('--limit <usd>', 'the limit in USD, e.g. 5 or 0.50')
      .option('--format <format>', 'table or json', 'table')
      .addHelpText(
        'after',
        '\nExample:\n  tollgate budgets set --scope module --value summarize --window day --limit 5',
      ),
  ).action(async (flags: BudgetFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('budgets set', () => setBudget(flags));
  });

  addDbOption(
    budgets
      .command('list')
      .description('Every budget with what was spent and reserved in its current window')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: BudgetFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('budgets list', () => listBudgets(flags));
  });

  addDbOption(
    budgets
      .command('rm')
      .alias('remove')
      .description('Remove a budget, by id or by scope, value and window')
      .argument('[id]', 'the budget id (from `tollgate budgets list`)')
      .option('--scope <scope>', SCOPE_HELP)
      .option('--value <value>', 'the module name, user id or key id')
      .option('--window <window>', WINDOW_HELP),
  ).action(async (id: string | undefined, flags: BudgetFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('budgets rm', () => removeBudget(id, flags));
  });

  addDbOption(
    budgets
      .command('holds')
      .description(
        'Reservations held at their worst case for calls whose cost is unknown (timeouts, broken connections)',
      )
      .option('--older-than <when>', 'only calls admitted before this: a duration back (7d) or an ISO date')
      .option('--format <format>', 'table, csv or json', 'table'),
  ).action(async (flags: BudgetFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('budgets holds', () => listHeld(flags));
  });

  addDbOption(
    budgets
      .command('release')
      .description(
        'Stop counting held reservations whose cost will never be known; the calls keep their unknown cost',
      )
      .argument('[request-ids...]', 'the ledger rows whose holds to release (from `tollgate budgets holds`)')
      .option(
        '--older-than <when>',
        'release the holds of calls admitted before this: 7d, or an ISO date (with ids: only those of them)',
      )
      .option('--all', 'release every hold')
      .option(
        '--include-reconcilable',
        'also release holds that reconciliation may still resolve (calls with a generation id)',
      )
      .option('--format <format>', 'table or json', 'table')
      .addHelpText(
        'after',
        '\nExamples:\n  tollgate budgets release 0193a1b2-…\n  tollgate budgets release --older-than 7d',
      ),
  ).action(async (requestIds: string[], flags: BudgetFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('budgets release', () => releaseHeld(requestIds, flags));
  });
}

async function parseTarget(flags: BudgetFlags, defaults: { window?: string }) {
  const { BUDGET_SCOPES, BUDGET_WINDOWS } = await import('../../ledger/index.ts');
  const { parseChoiceFlag, parseTextFlag, UsageError } = await import('../flags.ts');
  const scope = parseChoiceFlag('--scope', flags.scope ?? 'global', BUDGET_SCOPES) ?? 'global';
  const window = parseChoiceFlag('--window', flags.window ?? defaults.window, BUDGET_WINDOWS);
  const value = parseTextFlag('--value', flags.value, 'summarize');
  if (scope !== 'global' && value === undefined) {
    throw new UsageError(
      `--scope ${scope} needs --value (the ${scope === 'user' ? 'user id' : scope === 'key' ? 'gateway key id' : 'module name'}). Example: --scope ${scope} --value ${scope === 'module' ? 'summarize' : 'u-42'}`,
    );
  }
  if (scope === 'global' && value !== undefined) {
    throw new UsageError(
      '--value does not apply to --scope global. Drop --value, or pick --scope module/user/key.',
    );
  }
  return { scope, value: value ?? null, window };
}

async function setBudget(flags: BudgetFlags): Promise<void> {
  const { parseFormatFlag, parseUsdFlag, UsageError } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const { moneyFromUsd } = await import('../../shared/money.ts');
  const { describeBudget } = await import('../../ledger/index.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const target = await parseTarget(flags, { window: 'day' });
  const limit = parseUsdFlag('--limit', flags.limit);
  if (limit === undefined) throw new UsageError('--limit is required: the limit in USD. Example: --limit 5');
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  // Like a gateway key, a budget is set up before the first call: it may start the ledger.
  const budget = await withLedger(
    config,
    (ledger) =>
      ledger.budgets.set({
        scope: target.scope,
        scopeValue: target.value,
        window: target.window ?? 'day',
        limit: moneyFromUsd(limit),
      }),
    { create: true },
  );
  if (format === 'json') printJson(budget);
  else
    process.stdout.write(
      `Budget set: ${describeBudget(budget)} limit $${budget.limitUsd} (id ${budget.id})\n`,
    );
}

/** Where a budget stands: `status` answers for an attribution, so ask as the budget's own scope. */
async function checkOf(ledger: Ledger, budget: Budget): Promise<BudgetCheck | undefined> {
  const value = budget.scopeValue ?? undefined;
  const who =
    budget.scope === 'module'
      ? { module: value }
      : budget.scope === 'user'
        ? { userId: value }
        : budget.scope === 'key'
          ? { keyId: value }
          : {};
  return (await ledger.budgets.status(who)).find((check) => check.budget.id === budget.id);
}

async function listBudgets(flags: BudgetFlags): Promise<void> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { printJson, printTable, usd } = await import('../output.ts');
  const { moneyToUsdString } = await import('../../shared/money.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const { rows, holds } = await withLedger(config, async (ledger) => {
    const budgets = await ledger.budgets.list();
    const rows = await Promise.all(
      budgets.map(async (budget) => ({ budget, check: await checkOf(ledger, budget) })),
    );
    return { rows, holds: budgets.length > 0 ? await ledger.budgets.holds() : [] };
  });
  if (format === 'json') {
    printJson(
      rows.map(({ budget, check }) => ({
        id: budget.id,
        scope: budget.scope,
        value: budget.scopeValue,
        window: budget.window,
        limitUsd: budget.limitUsd,
        spentUsd: check ? moneyToUsdString(check.spent) : null,
        reservedUsd: check ? moneyToUsdString(check.reserved) : null,
        remainingUsd: check ? moneyToUsdString(check.remaining) : null,
      })),
    );
    return;
  }
  printTable(
    rows,
    [
      { header: 'id', value: (row) => row.budget.id },
      { header: 'scope', value: (row) => row.budget.scope },
      { header: 'value', value: (row) => row.budget.scopeValue ?? '-' },
      { header: 'window', value: (row) => row.budget.window },
      { header: 'limit', value: (row) => usd(row.budget.limit), align: 'right' },
      { header: 'spent', value: (row) => usd(row.check?.spent), align: 'right' },
      { header: 'reserved', value: (row) => usd(row.check?.reserved), align: 'right' },
      { header: 'remaining', value: (row) => usd(row.check?.remaining), align: 'right' },
    ],
    'No budgets. Add one: tollgate budgets set --scope module --value summarize --window day --limit 5',
  );
  if (holds.length > 0) {
    const total = holds.reduce((sum, hold) => sum + hold.amount, 0n);
    process.stdout.write(
      `\nReserved includes ${usd(total)} held for ${holds.length} call${holds.length === 1 ? '' : 's'} of unknown cost: tollgate budgets holds\n`,
    );
  }
}

async function removeBudget(id: string | undefined, flags: BudgetFlags): Promise<number> {
  const { UsageError } = await import('../flags.ts');
  const { describeBudget } = await import('../../ledger/index.ts');
  const byFlags = flags.scope !== undefined || flags.value !== undefined || flags.window !== undefined;
  if (id !== undefined && byFlags) {
    throw new UsageError('give either a budget id or --scope/--value/--window, not both.');
  }
  if (id === undefined && !byFlags) {
    throw new UsageError(
      'which budget? Give its id (tollgate budgets list) or --scope, --value and --window. Example: tollgate budgets rm --scope module --value summarize --window day',
    );
  }
  // Deleting is not the place for set's default scope: `rm --window day` alone must not quietly
  // remove the global budget when the user meant a module's.
  if (id === undefined && flags.scope === undefined) {
    throw new UsageError(
      'rm by flags needs --scope (global, module, user or key) to say whose budget to remove. Example: tollgate budgets rm --scope module --value summarize --window day, or --scope global --window day',
    );
  }
  const target = byFlags ? await parseTarget(flags, {}) : undefined;
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const removed = await withLedger(config, async (ledger) => {
    const matches = (await ledger.budgets.list()).filter((budget) =>
      target
        ? budget.scope === target.scope &&
          budget.scopeValue === target.value &&
          (target.window === undefined || budget.window === target.window)
        : budget.id === id,
    );
    for (const budget of matches) await ledger.budgets.remove(budget.id);
    return matches;
  });
  if (removed.length === 0) {
    process.stderr.write(
      'tollgate budgets rm: no such budget. `tollgate budgets list` shows the budgets and their ids.\n',
    );
    return 1;
  }
  for (const budget of removed) process.stdout.write(`Removed ${describeBudget(budget)} (id ${budget.id})\n`);
  return 0;
}

const HOLD_COLUMNS = [
  'requestId',
  'reservedAt',
  'amountUsd',
  'module',
  'userId',
  'keyId',
  'status',
  'model',
  'errorCode',
  'generationId',
  'reconcilable',
] as const;

function flatHold(hold: HeldReservation): Record<(typeof HOLD_COLUMNS)[number], unknown> {
  return {
    requestId: hold.requestId,
    reservedAt: new Date(hold.reservedAt).toISOString(),
    amountUsd: hold.amountUsd,
    module: hold.module,
    userId: hold.userId,
    keyId: hold.keyId,
    status: hold.request?.status ?? null,
    model: hold.request?.model ?? null,
    errorCode: hold.request?.errorCode ?? null,
    generationId: hold.request?.generationId ?? null,
    reconcilable: hold.reconcilable,
  };
}

async function holdColumns(): Promise<Column<HeldReservation>[]> {
  const { timestamp, usd } = await import('../output.ts');
  return [
    { header: 'request', value: (hold) => hold.requestId ?? '-' },
    { header: 'reserved at', value: (hold) => timestamp(hold.reservedAt) },
    { header: 'held', value: (hold) => usd(hold.amount), align: 'right' },
    { header: 'module', value: (hold) => hold.module ?? '-' },
    { header: 'user', value: (hold) => hold.userId ?? '-' },
    { header: 'status', value: (hold) => hold.request?.status ?? '(no row)' },
    { header: 'error', value: (hold) => hold.request?.errorCode ?? '-' },
    {
      header: 'resolves',
      value: (hold) => (hold.reconcilable ? 'by reconciliation' : 'never: release it'),
    },
  ];
}

async function listHeld(flags: BudgetFlags): Promise<void> {
  const { parseFormatFlag, parseTimeFlag } = await import('../flags.ts');
  const { printCsv, printJson, printTable, usd } = await import('../output.ts');
  const format = parseFormatFlag(flags.format, ['table', 'csv', 'json'], 'table');
  const before = parseTimeFlag('--older-than', flags.olderThan, Date.now());
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const holds = await withLedger(config, (ledger) => ledger.budgets.holds({ before }));
  if (format === 'json') return printJson(holds.map(flatHold));
  if (format === 'csv') return printCsv(HOLD_COLUMNS, holds.map(flatHold));
  printTable(holds, await holdColumns(), 'No held reservations.');
  if (holds.length === 0) return;
  const total = holds.reduce((sum, hold) => sum + hold.amount, 0n);
  const stuck = holds.filter((hold) => !hold.reconcilable).length;
  const advice =
    stuck === 0
      ? 'Reconciliation may still re-cost each of them (tollgate reconcile).'
      : `${stuck} can never be re-costed (no generation id, or reconciliation gave up); release them with: tollgate budgets release <request-id…> (or --older-than <age>, or --all)`;
  process.stdout.write(`\n${holds.length} held, ${usd(total)} in all. ${advice}\n`);
}

async function releaseHeld(requestIds: string[], flags: BudgetFlags): Promise<number> {
  const { parseFormatFlag, parseTimeFlag, UsageError } = await import('../flags.ts');
  const { printJson, printTable, usd } = await import('../output.ts');
  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const before = parseTimeFlag('--older-than', flags.olderThan, Date.now());
  const named = requestIds.length > 0;
  if (!named && before === undefined && !flags.all) {
    throw new UsageError(
      'which holds? Give request ids (tollgate budgets holds lists them), --older-than 7d, or --all.',
    );
  }
  if (flags.all && (named || before !== undefined)) {
    throw new UsageError('--all releases every hold: drop the request ids and --older-than, or drop --all.');
  }
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const result = await withLedger(config, (ledger) =>
    ledger.budgets.releaseHolds({
      requestIds: named ? requestIds : undefined,
      before,
      all: flags.all === true,
      includeReconcilable: flags.includeReconcilable === true,
    }),
  );
  if (format === 'json') {
    printJson({
      released: result.released.map(flatHold),
      skipped: result.skipped.map(flatHold),
      newer: result.newer.map(flatHold),
      notHeld: result.notHeld,
    });
  } else {
    const total = result.released.reduce((sum, hold) => sum + hold.amount, 0n);
    if (result.released.length > 0) printTable(result.released, await holdColumns(), '');
    process.stdout.write(
      `Released ${result.released.length} held reservation${result.released.length === 1 ? '' : 's'} (${usd(total)}); the calls keep their unknown cost.\n`,
    );
    if (result.skipped.length > 0) {
      process.stderr.write(
        `Left ${result.skipped.length} held: reconciliation may still re-cost ${result.skipped.length === 1 ? 'it (it has' : 'them (they have'} a generation id). Run tollgate reconcile, or add --include-reconcilable.\n`,
      );
    }
    for (const hold of result.newer)
      process.stderr.write(
        `Request ${hold.requestId} is held, but was admitted after --older-than: left held.\n`,
      );
    for (const id of result.notHeld)
      process.stderr.write(
        `No held reservation for request ${id} (its cost is known, its hold was released, or no budget applied to it).\n`,
      );
  }
  // A request named on the command line and not released is a failure; a sweep by age is not.
  const namedLeft = named ? result.skipped.length + result.newer.length + result.notHeld.length : 0;
  return namedLeft > 0 ? 1 : 0;
}
