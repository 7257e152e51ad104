import type { Command } from 'commander';
import type { TollgateConfig } from '../../config/index.ts';
import { addDbOption } from '../report-flags.ts';

interface DoctorFlags {
  db?: string;
  format?: string;
}

interface Check {
  name: 'configuration' | 'database' | 'key' | 'upstream';
  ok: boolean;
  /** What was found (on success) or what went wrong. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export function registerDoctorCommand(program: Command): void {
  addDbOption(
    program
      .command('doctor')
      .description('Check the configuration, the ledger database, the OpenRouter key and the upstream')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: DoctorFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('doctor', () => doctor(flags));
  });
}

async function doctor(flags: DoctorFlags): Promise<number> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const { stdoutStyle } = await import('../style.ts');
  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');

  const checks: Check[] = [];
  const config = await checkConfiguration(flags, checks);
  if (config) {
    checks.push(await checkDatabase(config));
    checks.push(...(await checkOpenRouter(config)));
  } else {
    for (const name of ['database', 'key', 'upstream'] as const) {
      checks.push({
        name,
        ok: false,
        detail: 'not checked: the configuration is invalid',
        fix: 'fix the configuration first',
      });
    }
  }
  const ok = checks.every((check) => check.ok);
  if (format === 'json') {
    printJson({ ok, checks });
  } else {
    const style = stdoutStyle();
    const width = Math.max(...checks.map((check) => check.name.length));
    for (const check of checks) {
      const mark = check.ok ? style.green('ok  ') : style.red('FAIL');
      process.stdout.write(`${mark}  ${check.name.padEnd(width)}  ${check.detail}\n`);
      if (check.fix)
        process.stdout.write(`      ${' '.repeat(width)}  ${style.yellow(`fix: ${check.fix}`)}\n`);
    }
    process.stdout.write(ok ? '\nAll checks passed.\n' : '\nSome checks failed: see the fixes above.\n');
  }
  return ok ? 0 : 1;
}

async function checkConfiguration(
  flags: DoctorFlags,
  checks: Check[],
): Promise<Readonly<TollgateConfig> | undefined> {
  const { ConfigError } = await import('../../config/index.ts');
  const { loadCliConfig } = await import('../open-context.ts');
  try {
    const config = loadCliConfig(flags);
    const modules = Object.keys(config.modules).length;
    checks.push({
      name: 'configuration',
      ok: true,
      detail: `loaded (upstream ${config.openrouter.baseUrl}, ${modules} module profile${modules === 1 ? '' : 's'})`,
    });
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push({
      name: 'configuration',
      ok: false,
      detail: error.problems.join('; '),
      fix: 'correct the named environment variable, .env entry or tollgate.config.json field',
    });
    return undefined;
  }
}

async function checkDatabase(config: Readonly<TollgateConfig>): Promise<Check> {
  const { openLedger, redactLedgerUrl } = await import('../../ledger/index.ts');
  const where = redactLedgerUrl(config.db.url);
  try {
    const ledger = await openLedger({ url: config.db.url, heartbeatMs: 0 });
    try {
      const recent = await ledger.reports.recent({ limit: 1 });
      const last = recent[0]
        ? `last request ${new Date(recent[0].createdAt).toISOString()}`
        : 'no requests yet';
      return {
        name: 'database',
        ok: true,
        detail: `${ledger.dialect} ${where} opened and queried (${last})`,
      };
    } finally {
      await ledger.close();
    }
  } catch (error) {
    return {
      name: 'database',
      ok: false,
      detail: `cannot use ${where}: ${error instanceof Error ? error.message : String(error)}`,
      fix: config.db.url.startsWith('postgres')
        ? 'check that PostgreSQL is running and the URL in TOLLGATE_DB / --db (host, port, user, password, database) is right'
        : 'point TOLLGATE_DB / --db at a file in a folder you can write to',
    };
  }
}

async function checkOpenRouter(config: Readonly<TollgateConfig>): Promise<Check[]> {
  const { withClient } = await import('../open-context.ts');
  const { isAPIError } = await import('../../client/index.ts');
  const { describeError } = await import('../describe-error.ts');
  const { escapeControlCharacters } = await import('../../shared/control-characters.ts');
  const baseUrl = config.openrouter.baseUrl;
  // Doctor must answer quickly: no retries, a short timeout.
  return await withClient(config, { needKey: false, maxRetries: 0, timeoutMs: 10_000 }, async (client) => {
    let key: Check;
    if (!config.openrouter.apiKey) {
      key = {
        name: 'key',
        ok: false,
        detail: 'OPENROUTER_API_KEY is not set',
        fix: 'export OPENROUTER_API_KEY=sk-or-v1-… or put it in .env (create a key at https://openrouter.ai/settings/keys)',
      };
    } else {
      try {
        const info = (await client.key.get()).data;
        const limit =
          info.limit === null || info.limit === undefined
            ? 'no limit'
            : `limit $${info.limit}, $${info.limit_remaining ?? '?'} remaining`;
        key = {
          name: 'key',
          ok: true,
          detail: `accepted${info.label ? ` ("${escapeControlCharacters(info.label)}")` : ''}: used $${info.usage ?? 0}, ${limit}`,
        };
      } catch (error) {
        const rejected = isAPIError(error) && (error.status === 401 || error.status === 403);
        key = {
          name: 'key',
          ok: false,
          detail: describeError(error, { baseUrl }).message,
          fix: rejected
            ? 'OPENROUTER_API_KEY is wrong, disabled or deleted: create a new one at https://openrouter.ai/settings/keys'
            : `check that ${baseUrl} is reachable (OPENROUTER_BASE_URL)`,
        };
      }
    }
    let upstream: Check;
    const started = Date.now();
    try {
      const models = (await client.models.list()).data;
      upstream = {
        name: 'upstream',
        ok: true,
        detail: `${baseUrl} answered with ${models.length} models in ${Date.now() - started} ms`,
      };
    } catch (error) {
      upstream = {
        name: 'upstream',
        ok: false,
        detail: describeError(error, { baseUrl }).message,
        fix: `check OPENROUTER_BASE_URL (now ${baseUrl}), your network and proxy settings`,
      };
    }
    return [key, upstream];
  });
}
