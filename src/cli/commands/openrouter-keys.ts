import type { Command } from 'commander';
import type { OpenRouterClient } from '../../client/index.ts';
import type { ApiKey } from '../../shared/wire/index.ts';

interface OrKeyFlags {
  name?: string;
  limit?: string;
  limitReset?: string;
  expiresAt?: string;
  disable?: boolean;
  enable?: boolean;
  includeDisabled?: boolean;
  format?: string;
}

const RESETS = ['daily', 'weekly', 'monthly', 'never'] as const;

export function registerOpenRouterKeysCommand(program: Command): void {
  const keys = program
    .command('openrouter-keys')
    .description('Manage OpenRouter API keys (needs a management key in OPENROUTER_API_KEY)');

  keys
    .command('list')
    .description('The OpenRouter keys of the account, with usage and limits')
    .option('--include-disabled', 'list disabled keys too')
    .option('--format <format>', 'table or json', 'table')
    .action(async (flags: OrKeyFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('openrouter-keys list', () => listKeys(flags));
    });

  keys
    .command('create')
    .description('Create an OpenRouter key; the key itself is printed once')
    .option('--name <name>', 'a name for the key')
    .option('--limit <usd>', 'credit limit in USD')
    .option('--limit-reset <period>', 'when the limit resets: daily, weekly, monthly or never')
    .option('--expires-at <when>', 'expiry: a duration from now (24h, 7d, 2w) or a future ISO-8601 date-time')
    .option('--format <format>', 'table or json', 'table')
    .action(async (flags: OrKeyFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('openrouter-keys create', () => createKey(flags));
    });

  keys
    .command('update')
    .description("Rename, disable/enable, or change an OpenRouter key's limit")
    .argument('<hash>', 'the key hash (from `tollgate openrouter-keys list`)')
    .option('--name <name>', 'new name')
    .option('--limit <usd>', 'new credit limit in USD ("none" removes it)')
    .option('--limit-reset <period>', 'daily, weekly, monthly or never')
    .option('--disable', 'disable the key')
    .option('--enable', 'enable the key')
    .option('--format <format>', 'table or json', 'table')
    .action(async (hash: string, flags: OrKeyFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('openrouter-keys update', () => updateKey(hash, flags));
    });

  keys
    .command('delete')
    .description('Delete an OpenRouter key (calls with it fail from then on)')
    .argument('<hash>', 'the key hash (from `tollgate openrouter-keys list`)')
    .action(async (hash: string) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('openrouter-keys delete', () => deleteKey(hash));
    });
}

async function context() {
  const { loadCliConfig, withClient } = await import('../open-context.ts');
  const config = loadCliConfig();
  return {
    use: <T>(body: (client: OpenRouterClient) => Promise<T>) => withClient(config, { needKey: true }, body),
  };
}

async function parseLimit(flags: OrKeyFlags) {
  const { parseChoiceFlag, parseUsdFlag } = await import('../flags.ts');
  const limitReset = parseChoiceFlag('--limit-reset', flags.limitReset, RESETS);
  const limit =
    flags.limit?.trim().toLowerCase() === 'none' ? null : parseUsdFlag('--limit', flags.limit, '10');
  return {
    ...(limit === undefined ? {} : { limit: limit === null ? null : Number(limit) }),
    ...(limitReset === undefined ? {} : { limit_reset: limitReset === 'never' ? null : limitReset }),
  };
}

async function listKeys(flags: OrKeyFlags): Promise<void> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { printJson, printTable } = await import('../output.ts');
  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const { use } = await context();
  const result = await use((client) =>
    client.keys.list(flags.includeDisabled ? { include_disabled: true } : undefined),
  );
  if (format === 'json') {
    printJson(result.data);
    return;
  }
  const money = (value: number | null | undefined) =>
    value === null || value === undefined ? '-' : `$${value}`;
  printTable(
    result.data,
    [
      { header: 'hash', value: (key: ApiKey) => key.hash },
      { header: 'name', value: (key) => key.name ?? key.label ?? '-' },
      { header: 'disabled', value: (key) => (key.disabled ? 'yes' : 'no') },
      { header: 'usage', value: (key) => money(key.usage), align: 'right' },
      { header: 'limit', value: (key) => money(key.limit), align: 'right' },
      { header: 'remaining', value: (key) => money(key.limit_remaining), align: 'right' },
      { header: 'reset', value: (key) => key.limit_reset ?? '-' },
      { header: 'created', value: (key) => key.created_at ?? '-' },
    ],
    'No OpenRouter keys on this account.',
  );
}

async function createKey(flags: OrKeyFlags): Promise<void> {
  const { parseFormatFlag, parseFutureTimeFlag, parseTextFlag, UsageError } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const { stderrStyle } = await import('../style.ts');
  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const name = parseTextFlag('--name', flags.name, 'batch-jobs');
  if (name === undefined)
    throw new UsageError('--name is required. Example: tollgate openrouter-keys create --name batch-jobs');
  // An expiry lies ahead: `--expires-at 7d` means a week from now (report flags count back).
  const expires = parseFutureTimeFlag('--expires-at', flags.expiresAt, Date.now());
  const { use } = await context();
  const result = await use(async (client) =>
    client.keys.create({
      name,
      ...(await parseLimit(flags)),
      ...(expires === undefined ? {} : { expires_at: new Date(expires).toISOString() }),
    }),
  );
  if (format === 'json') {
    printJson({ key: result.body.key, data: result.data });
    return;
  }
  process.stdout.write(`${result.body.key}\n`);
  process.stderr.write(
    `OpenRouter key "${name}" created (hash ${result.data.hash}).\n` +
      `${stderrStyle().yellow('The key above is shown this once: copy it now.')}\n`,
  );
}

async function updateKey(hash: string, flags: OrKeyFlags): Promise<void> {
  const { parseFormatFlag, parseTextFlag, UsageError } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  if (flags.disable && flags.enable)
    throw new UsageError('--disable and --enable contradict each other: pick one.');
  const name = parseTextFlag('--name', flags.name, 'batch-jobs');
  const params = {
    ...(name === undefined ? {} : { name }),
    ...(flags.disable ? { disabled: true } : flags.enable ? { disabled: false } : {}),
    ...(await parseLimit(flags)),
  };
  if (Object.keys(params).length === 0) {
    throw new UsageError('nothing to change: give --name, --limit, --limit-reset, --disable or --enable.');
  }
  const { use } = await context();
  const result = await use((client) => client.keys.update(hash.trim(), params));
  if (format === 'json') printJson(result.data);
  else
    process.stdout.write(`Updated OpenRouter key ${result.data.hash} (${result.data.name ?? 'unnamed'}).\n`);
}

async function deleteKey(hash: string): Promise<void> {
  const { use } = await context();
  await use((client) => client.keys.delete(hash.trim()));
  process.stdout.write(`Deleted OpenRouter key ${hash.trim()}.\n`);
}
