import type { Command } from 'commander';
import type { ReconcileRunSummary } from '../../ledger/index.ts';
import { addDbOption } from '../report-flags.ts';

interface ReconcileFlags {
  db?: string;
  format?: string;
}

/** Rows claimed per pass; passes repeat while a pass comes back full, so a backlog drains in one run. */
const BATCH_SIZE = 50;
const MAX_PASSES = 1_000;

export function registerReconcileCommand(program: Command): void {
  addDbOption(
    program
      .command('reconcile')
      .description(
        "Compare due ledger rows with OpenRouter's billed cost (GET /generation), once, and report",
      )
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: ReconcileFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('reconcile', () => reconcile(flags));
  });
}

async function reconcile(flags: ReconcileFlags): Promise<number | undefined> {
  const { parseFormatFlag } = await import('../flags.ts');
  const { printJson } = await import('../output.ts');
  const { generationFetcher } = await import('../../library/index.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const { loadCliConfig, withClient, withLedger } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  const started = Date.now();
  const total: Omit<ReconcileRunSummary, 'stoppedBy'> = {
    claimed: 0,
    reconciled: 0,
    costChanged: 0,
    notFound: 0,
    failed: 0,
    gaveUp: 0,
    released: 0,
  };
  let stoppedBy: unknown;
  await withClient(config, { needKey: true }, (client) =>
    withLedger(config, async (ledger) => {
      const reconciler = ledger.reconciler({
        batchSize: BATCH_SIZE,
        fetchGeneration: generationFetcher(client),
      });
      for (let pass = 0; pass < MAX_PASSES; pass += 1) {
        const { stoppedBy: stop, ...summary } = await reconciler.runOnce();
        for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += summary[key];
        // OpenRouter refused the key or could not answer: asking for the next rows would fail
        // the same way, and the rows handed back are due again at once.
        if (stop !== undefined) {
          stoppedBy = stop;
          break;
        }
        if (summary.claimed < BATCH_SIZE) break;
      }
    }),
  );
  if (stoppedBy !== undefined) return reportStopped(stoppedBy, total, config.openrouter.baseUrl, format);
  if (format === 'json') {
    printJson({ ...total, durationMs: Date.now() - started });
    return;
  }
  if (total.claimed === 0) {
    process.stdout.write(
      'Nothing due: every completed row with a generation id is reconciled or waiting for its retry.\n',
    );
    return;
  }
  const parts = [`${total.reconciled} reconciled (${total.costChanged} with a changed cost)`];
  if (total.notFound > 0) parts.push(`${total.notFound} not published by OpenRouter yet (retried later)`);
  if (total.failed > 0) parts.push(`${total.failed} failed (retried later)`);
  if (total.gaveUp > 0) parts.push(`${total.gaveUp} given up after repeated misses`);
  process.stdout.write(`Checked ${total.claimed} rows: ${parts.join(', ')}.\n`);
}

/**
 * OpenRouter could not answer (key refused, outage, unreachable): the run stopped, no row used up
 * a retry, and the command fails (exit 1) with what went wrong and how to fix it.
 */
async function reportStopped(
  error: unknown,
  total: Omit<ReconcileRunSummary, 'stoppedBy'>,
  baseUrl: string,
  format: string,
): Promise<number> {
  const { describeError, EXIT } = await import('../describe-error.ts');
  const described = describeError(error, { baseUrl });
  const done = total.claimed - total.released;
  if (format === 'json') {
    const { printJson } = await import('../output.ts');
    printJson({ ...total, error: described.message });
  }
  process.stderr.write(
    `tollgate reconcile: ${described.message} Stopped after ${done} of ${total.claimed} rows; the other ${total.released} keep their retries and are due again now.\n`,
  );
  return EXIT.failure;
}
