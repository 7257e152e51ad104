import type { Command } from 'commander';
import type { ReportDimension, ReportRow } from '../../ledger/index.ts';
import type { Column } from '../output.ts';
import { addReportOptions, type ReportFlags } from '../report-flags.ts';

interface SpendFlags extends ReportFlags {
  by?: string;
}

/** What each group measures: the CSV's columns after the --by dimensions, in order. */
const SPEND_MEASURES = [
  'requests',
  'errors',
  'unknownCost',
  'promptTokens',
  'completionTokens',
  'reasoningTokens',
  'cachedTokens',
  'spendUsd',
  'estimatedSpendUsd',
  'avgLatencyMs',
] as const;

export function registerSpendCommand(program: Command): void {
  const command = program
    .command('spend')
    .description('Where the money went: spend, requests and tokens grouped by module, model, user…')
    .option('--by <dimensions>', 'group by module, user, model, provider, key, day, week, month', 'module');
  addReportOptions(command, { status: false })
    .option('--format <format>', 'table, csv or json', 'table')
    .addHelpText(
      'after',
      '\nExample:\n  tollgate spend --by module,model --since 7d --format csv > spend.csv',
    )
    .action(async (flags: SpendFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('spend', () => spend(flags));
    });
}

async function spend(flags: SpendFlags): Promise<void> {
  const { REPORT_DIMENSIONS } = await import('../../ledger/index.ts');
  const { parseFormatFlag, parseListFlag } = await import('../flags.ts');
  const { parseReportFlags } = await import('../report-flags.ts');
  const { printCsv, printJson, printTable, integer, usd } = await import('../output.ts');
  const { moneyToUsdString } = await import('../../shared/money.ts');

  const format = parseFormatFlag(flags.format, ['table', 'csv', 'json'], 'table');
  const groupBy = parseListFlag('--by', flags.by, REPORT_DIMENSIONS) ?? [];
  const range = parseReportFlags(flags, Date.now());
  const { loadCliConfig, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const report = await withLedger(config, (ledger) =>
    ledger.reports.spend({ groupBy, filters: range.filters, since: range.since, until: range.until }),
  );

  const total = report.rows.reduce(
    (sum, row) => ({
      requests: sum.requests + row.requests,
      errors: sum.errors + row.errors,
      unknownCost: sum.unknownCost + row.unknownCostCount,
      promptTokens: sum.promptTokens + row.promptTokens,
      completionTokens: sum.completionTokens + row.completionTokens,
      spend: sum.spend + row.spend,
    }),
    { requests: 0, errors: 0, unknownCost: 0, promptTokens: 0, completionTokens: 0, spend: 0n },
  );
  // The dimensions named by --by, then every measure.
  const flat = (
    row: ReportRow,
  ): Record<string, unknown> & Record<(typeof SPEND_MEASURES)[number], unknown> => ({
    ...Object.fromEntries(groupBy.map((dim) => [dim, row.group[dim] ?? null])),
    requests: row.requests,
    errors: row.errors,
    unknownCost: row.unknownCostCount,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    reasoningTokens: row.reasoningTokens,
    cachedTokens: row.cachedTokens,
    spendUsd: moneyToUsdString(row.spend),
    estimatedSpendUsd: moneyToUsdString(row.estimatedSpend),
    avgLatencyMs: row.avgLatencyMs === null ? null : Math.round(row.avgLatencyMs),
  });

  if (format === 'json') {
    const { spend: _spend, ...counts } = total;
    printJson({
      since: range.since === undefined ? null : new Date(range.since).toISOString(),
      until: range.until === undefined ? null : new Date(range.until).toISOString(),
      groupBy,
      source: report.source,
      rows: report.rows.map(flat),
      total: { ...counts, spendUsd: moneyToUsdString(total.spend) },
    });
    return;
  }
  if (format === 'csv') {
    printCsv<string>([...groupBy, ...SPEND_MEASURES], report.rows.map(flat));
    return;
  }
  const columns: Column<ReportRow>[] = [
    ...groupBy.map((dim: ReportDimension) => ({
      header: dim,
      value: (row: ReportRow) => row.group[dim] ?? '(none)',
    })),
    { header: 'requests', value: (row) => integer(row.requests), align: 'right' },
    { header: 'errors', value: (row) => integer(row.errors), align: 'right' },
    { header: 'prompt tok', value: (row) => integer(row.promptTokens), align: 'right' },
    { header: 'completion tok', value: (row) => integer(row.completionTokens), align: 'right' },
    {
      header: 'spend',
      value: (row) =>
        `${usd(row.spend)}${row.unknownCostCount > 0 ? ` (+${row.unknownCostCount} unknown)` : ''}`,
      align: 'right',
    },
  ];
  printTable(report.rows, columns, 'No requests in this range.');
  if (report.rows.length > 0) {
    process.stdout.write(
      `\ntotal: ${usd(total.spend)} over ${integer(total.requests)} requests` +
        `${total.errors > 0 ? `, ${integer(total.errors)} errors` : ''}` +
        `${total.unknownCost > 0 ? `, ${integer(total.unknownCost)} of unknown cost (not in the total)` : ''}\n`,
    );
  }
}
