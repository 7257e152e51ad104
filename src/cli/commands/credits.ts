import type { Command } from 'commander';

interface CreditsFlags {
  format?: string;
}

export function registerCreditsCommand(program: Command): void {
  program
    .command('credits')
    .description("The OpenRouter account's credits and the key's usage and limits")
    .option('--format <format>', 'table or json', 'table')
    .action(async (flags: CreditsFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('credits', () => credits(flags));
    });
}

async function credits(flags: CreditsFlags): Promise<void> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const { isAPIError } = await import('../../client/index.ts');
  const { moneyFromUsd, moneyToUsdString } = await import('../../shared/money.ts');
  const { stdoutStyle } = await import('../style.ts');
  const { escapeControlCharacters } = await import('../../shared/control-characters.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const { loadCliConfig, withClient } = await import('../open-context.ts');
  const config = loadCliConfig();
  const { key, account } = await withClient(config, { needKey: true }, async (client) => {
    const [keyResult, creditsResult] = await Promise.all([
      client.key.get(),
      // Only management keys may read /credits: a 401/403 there means "not visible with this key".
      client.credits.get().catch((error: unknown) => {
        if (isAPIError(error) && (error.status === 401 || error.status === 403)) return undefined;
        throw error;
      }),
    ]);
    return { key: keyResult.data, account: creditsResult?.data };
  });
  const exact = (value: number | null | undefined) =>
    value === null || value === undefined ? null : moneyToUsdString(moneyFromUsd(value));
  const remaining = account
    ? moneyFromUsd(account.total_credits) - moneyFromUsd(account.total_usage)
    : undefined;
  const view = {
    credits: account
      ? {
          totalUsd: exact(account.total_credits),
          usedUsd: exact(account.total_usage),
          remainingUsd: remaining === undefined ? null : moneyToUsdString(remaining),
        }
      : null,
    key: {
      label: key.label ?? null,
      usageUsd: exact(key.usage),
      usageDailyUsd: exact(key.usage_daily),
      usageWeeklyUsd: exact(key.usage_weekly),
      usageMonthlyUsd: exact(key.usage_monthly),
      limitUsd: exact(key.limit),
      limitRemainingUsd: exact(key.limit_remaining),
      limitReset: key.limit_reset ?? null,
      isFreeTier: key.is_free_tier ?? null,
      isManagementKey: key.is_management_key ?? null,
      expiresAt: key.expires_at ?? null,
    },
  };
  if (format === 'json') {
    printJson(view);
    return;
  }
  const style = stdoutStyle();
  const dollars = (text: string | null) => (text === null ? '-' : `$${text}`);
  const lines: [string, string][] = [];
  lines.push([
    'credits',
    view.credits
      ? `${dollars(view.credits.remainingUsd)} remaining of ${dollars(view.credits.totalUsd)} (used ${dollars(view.credits.usedUsd)})`
      : style.dim('not visible with this key (needs a management key)'),
  ]);
  // The label is whatever was typed when the key was made: shown escaped, like table cells.
  lines.push(['key', view.key.label === null ? '-' : escapeControlCharacters(view.key.label)]);
  lines.push([
    'key usage',
    `${dollars(view.key.usageUsd)} total; today ${dollars(view.key.usageDailyUsd)}, this week ${dollars(view.key.usageWeeklyUsd)}, this month ${dollars(view.key.usageMonthlyUsd)}`,
  ]);
  lines.push([
    'key limit',
    view.key.limitUsd === null
      ? 'none'
      : `${dollars(view.key.limitUsd)}, ${dollars(view.key.limitRemainingUsd)} remaining${view.key.limitReset ? `, resets ${view.key.limitReset}` : ''}`,
  ]);
  if (view.key.isFreeTier) lines.push(['free tier', 'yes']);
  if (view.key.expiresAt) lines.push(['expires', view.key.expiresAt]);
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, value] of lines) process.stdout.write(`${style.bold(label.padEnd(width))}  ${value}\n`);
}
