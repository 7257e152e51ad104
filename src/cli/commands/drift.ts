import type { Command } from 'commander';
import type { DriftRow } from '../../ledger/index.ts';
import type { Column } from '../output.ts';
import { addReportOptions, type ReportFlags } from '../report-flags.ts';

/** The CSV and JSON row's fields, in column order. */
const DRIFT_COLUMNS = ['model', 'requests', 'estimatedUsd', 'billedUsd', 'driftUsd', 'driftRatio'] as const;

export function registerDriftCommand(program: Command): void {
  const command = program
    .command('drift')
    .description("Estimated vs billed cost by model: how far tollgate's price estimates are from the bill");
  addReportOptions(command, { status: false })
    .option('--format <format>', 'table, csv or json', 'table')
    .action(async (flags: ReportFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('drift', () => drift(flags));
    });
}

async function drift(flags: ReportFlags): Promise<void> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { parseReportFlags } = await import('../report-flags.ts');
  const { printCsv, printJson, printTable, integer, usd } = await import('../output.ts');
  const { moneyToUsdString } = await import('../../shared/money.ts');

  const format = parseFormatFlag(flags.format, ['table', 'csv', 'json'], 'table');
  const range = parseReportFlags(flags, Date.now());
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const rows = await withLedger(config, (ledger) =>
    ledger.reports.driftByModel({ since: range.since, until: range.until, filters: range.filters }),
  );
  const flat = (row: DriftRow): Record<(typeof DRIFT_COLUMNS)[number], unknown> => ({
    model: row.model,
    requests: row.requests,
    estimatedUsd: moneyToUsdString(row.estimated),
    billedUsd: moneyToUsdString(row.billed),
    driftUsd: row.driftUsd,
    driftRatio: row.driftRatio,
  });
  if (format === 'json') {
    printJson(rows.map(flat));
    return;
  }
  if (format === 'csv') {
    printCsv(DRIFT_COLUMNS, rows.map(flat));
    return;
  }
  const columns: Column<DriftRow>[] = [
    { header: 'model', value: (row) => row.model },
    { header: 'requests', value: (row) => integer(row.requests), align: 'right' },
    { header: 'estimated', value: (row) => usd(row.estimated), align: 'right' },
    { header: 'billed', value: (row) => usd(row.billed), align: 'right' },
    { header: 'drift', value: (row) => `${row.drift > 0n ? '+' : ''}${usd(row.drift)}`, align: 'right' },
    {
      header: 'drift %',
      value: (row) =>
        row.driftRatio === null
          ? '-'
          : `${row.driftRatio > 0 ? '+' : ''}${(row.driftRatio * 100).toFixed(2)}%`,
      align: 'right',
    },
  ];
  printTable(rows, columns, 'No rows with both an estimate and a billed cost yet.');
}
