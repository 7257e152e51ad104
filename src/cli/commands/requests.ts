import type { Command } from 'commander';
import type { LedgerRow } from '../../ledger/index.ts';
import type { Column } from '../output.ts';
import { addReportOptions, type ReportFlags } from '../report-flags.ts';

interface RequestsFlags extends ReportFlags {
  limit?: string;
}

/** The CSV's columns, in order: a ledger row flattened for spreadsheets. */
const REQUEST_CSV_COLUMNS = [
  'id',
  'createdAt',
  'module',
  'user',
  'key',
  'model',
  'provider',
  'status',
  'promptTokens',
  'completionTokens',
  'costUsd',
  'costSource',
  'latencyMs',
  'generationId',
  'errorCode',
] as const;

export function registerRequestsCommand(program: Command): void {
  const command = program
    .command('requests')
    .description('The most recent ledger rows, newest first (filter by module, user, status…)');
  addReportOptions(command, { status: true })
    .option('--limit <n>', 'how many rows, 1 to 1000', '50')
    .option('--format <format>', 'table, csv or json', 'table')
    .addHelpText('after', '\nExample:\n  tollgate requests --module summarize --status error --limit 20')
    .action(async (flags: RequestsFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('requests', () => requests(flags));
    });
}

async function requests(flags: RequestsFlags): Promise<void> {
  const { REQUEST_STATUSES } = await import('../../ledger/index.ts');
  const { parseFormatFlag, parseIntFlag } = await import('../flags.ts');
  const { parseReportFlags } = await import('../report-flags.ts');
  const { printCsv, printJson, printTable, integer, usd, timestamp, duration, clip } = await import(
    '../output.ts'
  );
  const { moneyToUsdString } = await import('../../shared/money.ts');

  const format = parseFormatFlag(flags.format, ['table', 'csv', 'json'], 'table');
  const limit = parseIntFlag('--limit', flags.limit, { min: 1, max: 1000, example: '50' }) ?? 50;
  const range = parseReportFlags(flags, Date.now(), { statuses: REQUEST_STATUSES });
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const rows = await withLedger(config, (ledger) =>
    ledger.reports.recent({ filters: range.filters, since: range.since, until: range.until, limit }),
  );

  if (format === 'json') {
    printJson(rows);
    return;
  }
  if (format === 'csv') {
    printCsv(
      REQUEST_CSV_COLUMNS,
      rows.map(
        (row): Record<(typeof REQUEST_CSV_COLUMNS)[number], unknown> => ({
          id: row.id,
          createdAt: new Date(row.createdAt).toISOString(),
          module: row.module,
          user: row.userId,
          key: row.keyId,
          model: row.model ?? row.modelRequested,
          provider: row.provider,
          status: row.status,
          promptTokens: row.promptTokens,
          completionTokens: row.completionTokens,
          costUsd: row.cost === null ? null : moneyToUsdString(row.cost),
          costSource: row.costSource,
          latencyMs: row.latencyMs,
          generationId: row.generationId,
          errorCode: row.errorCode,
        }),
      ),
    );
    return;
  }
  const statusColour = (row: LedgerRow) =>
    row.status === 'ok' ? 'green' : row.status === 'error' ? 'red' : 'yellow';
  const columns: Column<LedgerRow>[] = [
    { header: 'time', value: (row) => timestamp(row.createdAt) },
    { header: 'module', value: (row) => row.module },
    { header: 'user', value: (row) => row.userId ?? '-' },
    { header: 'model', value: (row) => row.model ?? row.modelRequested },
    { header: 'status', value: (row) => row.status, colour: statusColour },
    {
      header: 'tokens in/out',
      value: (row) => `${integer(row.promptTokens)}/${integer(row.completionTokens)}`,
    },
    { header: 'cost', value: (row) => usd(row.cost), align: 'right' },
    { header: 'latency', value: (row) => duration(row.latencyMs), align: 'right' },
    { header: 'id', value: (row) => row.id },
    {
      header: 'error',
      value: (row) => (row.errorCode ? clip(`${row.errorCode}: ${row.errorMessage ?? ''}`, 60) : ''),
    },
  ];
  printTable(rows, columns, 'No requests match.');
}
