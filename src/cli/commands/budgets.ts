import type { Command } from 'commander';
import type { Budget, BudgetCheck, Ledger } from '../../ledger/index.ts';
import { addDbOption } from '../report-flags.ts';

interface BudgetFlags {
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
  const rows = await withLedger(config, async (ledger) => {
    const budgets = await ledger.budgets.list();
    return await Promise.all(
      budgets.map(async (budget) => ({ budget, check: await checkOf(ledger, budget) })),
    );
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
