import type { Command } from 'commander';
import type { GatewayKey } from '../../ledger/index.ts';
import { addDbOption } from '../report-flags.ts';

interface KeyFlags {
  name?: string;
  module?: string;
  user?: string;
  rpm?: string;
  models?: string;
  budget?: string;
  budgetWindow?: string;
  all?: boolean;
  db?: string;
  format?: string;
}

export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description("The gateway's own keys (tg-…): what apps present to `tollgate serve`");

  addDbOption(
    keys
      .command('create')
      .description('Create a gateway key; its secret is printed once and never stored')
      .option('--name <name>', 'what the key is for, e.g. "reporting-app"')
      .option('--module <module>', 'default module for calls made with this key')
      .option('--user <id>', 'default end user for calls made with this key')
      .option('--rpm <n>', 'requests per minute allowed')
      .option('--models <patterns>', 'allowed models, comma-separated globs, e.g. "openai/*,google/gemini-*"')
      .option('--budget <usd>', 'a spending limit for this key, in USD')
      .option('--budget-window <window>', 'day, week, month or total', 'day')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: KeyFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('keys create', () => createKey(flags));
  });

  addDbOption(
    keys
      .command('list')
      .description('The gateway keys (secrets are never shown: only their first characters)')
      .option('--all', 'include revoked keys')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: KeyFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('keys list', () => listKeys(flags));
  });

  addDbOption(
    keys
      .command('revoke')
      .description('Revoke a gateway key: calls presenting it are refused from now on')
      .argument('<id>', 'the key id (from `tollgate keys list`)'),
  ).action(async (id: string, flags: KeyFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('keys revoke', () => revokeKey(id, flags));
  });
}

async function createKey(flags: KeyFlags): Promise<void> {
  const { BUDGET_WINDOWS } = await import('../../ledger/index.ts');
  const {
    parseChoiceFlag,
    parseFormatFlag,
    parseIntFlag,
    parseListFlag,
    parseTextFlag,
    parseUsdFlag,
    UsageError,
  } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const { moneyFromUsd } = await import('../../shared/money.ts');
  const { stderrStyle } = await import('../style.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const name = parseTextFlag('--name', flags.name, 'reporting-app');
  if (name === undefined)
    throw new UsageError('--name is required. Example: tollgate keys create --name reporting-app');
  const budget = parseUsdFlag('--budget', flags.budget);
  const window = parseChoiceFlag('--budget-window', flags.budgetWindow, BUDGET_WINDOWS) ?? 'day';
  // Every flag is checked before the ledger is opened: a rejected flag leaves no file behind.
  const settings = {
    name,
    defaultModule: parseTextFlag('--module', flags.module, 'summarize') ?? null,
    defaultUser: parseTextFlag('--user', flags.user, 'u-42') ?? null,
    rpmLimit: parseIntFlag('--rpm', flags.rpm, { min: 1, example: '60' }) ?? null,
    allowedModels: parseListFlag('--models', flags.models) ?? null,
    budget: budget === undefined ? null : { window, limit: moneyFromUsd(budget) },
  };
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  // A new key is worth a new ledger: this is how a gateway is set up before its first start.
  const { key, secret } = await withLedger(config, (ledger) => ledger.keys.create(settings), {
    create: true,
  });
  if (format === 'json') {
    printJson({ ...publicKey(key), secret });
    return;
  }
  const style = stderrStyle();
  process.stdout.write(`${secret}\n`);
  process.stderr.write(
    `${style.bold(`Gateway key "${key.name}" created`)} (id ${key.id}).\n` +
      `${style.yellow('The secret above is shown this once and is not stored: copy it now.')}\n` +
      'Use it as the bearer key against the gateway, e.g. OPENAI_API_KEY=<secret> OPENAI_BASE_URL=http://127.0.0.1:8787/v1\n',
  );
}

/** A key without its hash: scripts need the id and the settings, not the digest. */
function publicKey(key: GatewayKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    defaultModule: key.defaultModule,
    defaultUser: key.defaultUser,
    budgetId: key.budgetId,
    rpmLimit: key.rpmLimit,
    allowedModels: key.allowedModels,
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
  };
}

async function listKeys(flags: KeyFlags): Promise<void> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { printJson, printTable, timestamp } = await import('../output.ts');
  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const keys = await withLedger(config, (ledger) => ledger.keys.list({ includeRevoked: flags.all === true }));
  if (format === 'json') {
    printJson(keys.map(publicKey));
    return;
  }
  printTable(
    keys,
    [
      { header: 'id', value: (key) => key.id },
      { header: 'name', value: (key) => key.name },
      { header: 'prefix', value: (key) => `${key.prefix}…` },
      { header: 'module', value: (key) => key.defaultModule ?? '-' },
      { header: 'user', value: (key) => key.defaultUser ?? '-' },
      { header: 'rpm', value: (key) => (key.rpmLimit === null ? '-' : String(key.rpmLimit)), align: 'right' },
      { header: 'models', value: (key) => key.allowedModels?.join(',') ?? 'any' },
      { header: 'created', value: (key) => timestamp(key.createdAt) },
      { header: 'revoked', value: (key) => (key.revokedAt === null ? '-' : timestamp(key.revokedAt)) },
    ],
    'No gateway keys. Create one: tollgate keys create --name my-app',
  );
}

async function revokeKey(id: string, flags: KeyFlags): Promise<number> {
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const revoked = await withLedger(config, (ledger) => ledger.keys.revoke(id.trim()));
  if (!revoked) {
    process.stderr.write(
      `tollgate keys revoke: no gateway key with id ${id}. \`tollgate keys list\` shows the ids.\n`,
    );
    return 1;
  }
  if (revoked.alreadyRevoked && revoked.key.revokedAt !== null) {
    const { timestamp } = await import('../output.ts');
    process.stdout.write(`Gateway key ${id} was already revoked (${timestamp(revoked.key.revokedAt)}).\n`);
  } else process.stdout.write(`Revoked gateway key ${id}.\n`);
  return 0;
}
