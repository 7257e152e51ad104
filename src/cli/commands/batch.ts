import type { Command } from 'commander';
import type { Tollgate } from '../../library/index.ts';
import type { BatchResult } from '../batch/batch-runner.ts';
import { addDbOption } from '../report-flags.ts';

interface BatchFlags {
  output?: string;
  model?: string;
  module?: string;
  system?: string;
  temperature?: string;
  maxTokens?: string;
  concurrency?: string;
  maxCost?: string;
  retryFailed?: boolean;
  progressInterval?: string;
  format?: string;
  db?: string;
}

const EXIT_HELP = `
Input: one request per line: a JSON string (the prompt), {"prompt": "…"} or {"messages": [...], …};
optional "id" (default: the line number) and "module"; other fields (model, max_tokens…) are sent as given.
Output: one JSON line per input line: id, text or error, usage, cost (exact USD), generation_id.
A rerun skips ids already in the output, so an interrupted batch resumes where it stopped.

Exit codes:
  0    every line done
  1    some lines failed (error lines written), or a fatal error stopped the run (bad key, no credits…)
  2    bad flags or input (nothing was sent)
  3    stopped by --max-cost: the next call could have crossed the cap (the cap covers the whole
       output file: costs already recorded in it by earlier runs count)
  130  interrupted (Ctrl-C): in-flight calls finished and were written; a second Ctrl-C aborts them

Example:
  tollgate batch prompts.jsonl -o answers.jsonl -m openai/gpt-4o-mini --concurrency 8 --max-cost 5`;

export function registerBatchCommand(program: Command): void {
  addDbOption(
    program
      .command('batch')
      .description('Run many prompts from a JSONL file, metered, resumable, with a live progress bar')
      .argument('<input>', 'the input JSONL file ("-" for stdin)')
      .option('-o, --output <file>', 'the output JSONL file (appended to; ids already in it are skipped)')
      .option('-m, --model <id>', 'model for lines that name none')
      .option('--module <name>', 'module for lines that name none', 'batch')
      .option('--system <text>', 'system prompt for prompt lines')
      .option('--temperature <t>', 'temperature for lines that set none')
      .option('--max-tokens <n>', 'output cap for lines that set none')
      .option('--concurrency <n>', 'calls in flight at once', '8')
      .option(
        '--max-cost <usd>',
        'stop before the spend could exceed this many USD (counting earlier runs on the same output)',
      )
      .option(
        '--retry-failed',
        'run again the ids whose output line is an error (the new line replaces it; earlier_attempts_cost keeps what the failed calls cost)',
      )
      .option('--progress-interval <seconds>', 'without a terminal: seconds between progress lines', '5')
      .option('--format <format>', 'text, or json: the final summary as one JSON object on stdout', 'text')
      .addHelpText('after', EXIT_HELP),
  ).action(async (input: string, flags: BatchFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('batch', () => batch(input, flags));
  });
}

async function batch(input: string, flags: BatchFlags): Promise<number> {
  const { parseChoiceFlag, parseIntFlag, parseNumberFlag, parseTextFlag, parseUsdFlag, UsageError } =
    await import('../flags.ts');
  const { parseAttributionFlag } = await import('../attribution-flags.ts');
  const { readBatchInput, withDefaults } = await import('../batch/batch-input.ts');
  const { BatchOutput, checkOutputPath, compactBatchOutput, readExistingOutput } = await import(
    '../batch/batch-output.ts'
  );
  const { unlink } = await import('node:fs/promises');
  const { BatchRunner } = await import('../batch/batch-runner.ts');
  const { createProgressView } = await import('../batch/batch-progress.ts');
  const { runBatchCall, batchWorstCase } = await import('../batch/batch-call.ts');
  const { moneyFromUsd } = await import('../../shared/money.ts');

  const format = parseChoiceFlag('--format', flags.format, ['text', 'json'] as const) ?? 'text';
  const outputPath = parseTextFlag('--output', flags.output, 'answers.jsonl');
  if (outputPath === undefined)
    throw new UsageError('-o/--output is required: the JSONL file to write. Example: -o answers.jsonl');
  const defaults = {
    model: parseTextFlag('--model', flags.model, 'openai/gpt-4o-mini'),
    module: parseAttributionFlag('--module', flags.module, 'summarize') ?? 'batch',
    system: flags.system,
    temperature: parseNumberFlag('--temperature', flags.temperature, { min: 0, max: 2, example: '0.3' }),
    maxTokens: parseIntFlag('--max-tokens', flags.maxTokens, { min: 1, example: '500' }),
  };
  const concurrency =
    parseIntFlag('--concurrency', flags.concurrency, { min: 1, max: 256, example: '8' }) ?? 8;
  const maxCostText = parseUsdFlag('--max-cost', flags.maxCost, '5');
  const maxCost = maxCostText === undefined ? undefined : moneyFromUsd(maxCostText);
  const intervalMs =
    (parseNumberFlag('--progress-interval', flags.progressInterval, { min: 0.1, example: '5' }) ?? 5) * 1000;
  const { loadCliConfig, openTollgate } = await import('../open-context.ts');
  const config = loadCliConfig(flags);

  const items = await readBatchInput(input);
  const missingModel = items.find((item) => item.request.model === undefined && defaults.model === undefined);
  if (missingModel && !config.modules[String(missingModel.request.module ?? defaults.module)]?.model) {
    throw new UsageError(
      `line ${missingModel.line} names no model: pass -m (e.g. -m openai/gpt-4o-mini) or set "model" on each line.`,
    );
  }
  const outputExisted = await checkOutputPath(outputPath);
  const existing = await readExistingOutput(outputPath, flags.retryFailed === true);
  const todo = items.filter((item) => !existing.done.has(item.key));
  const skipped = items.length - todo.length;

  // The output before the library: a path that cannot be written must not leave a ledger open.
  const output = new BatchOutput(outputPath);
  let tg: Tollgate;
  try {
    tg = await openTollgate(config);
  } catch (error) {
    output.close();
    // Nothing ran: take away the empty output file this run created (if that fails, it is only empty).
    if (!outputExisted) await unlink(outputPath).catch(() => undefined);
    throw error;
  }
  const progress = createProgressView({ total: todo.length, tty: process.stderr.isTTY === true, intervalMs });
  if (existing.dropped > 0)
    progress.log(`batch: dropped ${existing.dropped} incomplete line(s) from ${outputPath}; they run again.`);
  if (existing.retrying > 0)
    progress.log(
      `batch: ${existing.retrying} failed id(s) in ${outputPath} run again; what they cost so far still counts against --max-cost.`,
    );
  if (skipped > 0)
    progress.log(`batch: ${skipped} of ${items.length} ids are already in ${outputPath}; skipping them.`);
  const runner = new BatchRunner({
    items: todo,
    concurrency,
    maxCost,
    priorSpent: existing.spent,
    worstCase: (item) => batchWorstCase(tg, withDefaults(item, defaults)),
    call: (item, signal) => runBatchCall(tg, item, withDefaults(item, defaults), signal),
    write: (record) => output.write(record),
    onProgress: (state) => progress.update(state),
  });
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled === undefined && signal === 'SIGINT') {
      signalled = signal;
      runner.stop();
      progress.log(
        'batch: Ctrl-C: starting no new calls, finishing the ones in flight (Ctrl-C again to abort them)…',
      );
      return;
    }
    signalled ??= signal;
    progress.log(
      'batch: aborting the calls in flight; their lines are not written and will run again next time.',
    );
    runner.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: BatchResult;
  try {
    result = await runner.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
    output.close();
    await tg.close();
  }
  // A retried id now has its error line and its new line: fold them into one line per id (the
  // next run would do it anyway, so a failure here loses nothing).
  if (existing.retrying > 0) {
    await compactBatchOutput(outputPath).catch((error: unknown) => {
      process.stderr.write(
        `batch: could not fold the retried lines of ${outputPath} (${error instanceof Error ? error.message : String(error)}); the next run will.\n`,
      );
    });
  }
  return await report(result, {
    skipped,
    format,
    outputPath,
    maxCostText,
    signalled,
    priorSpent: existing.spent,
  });
}

async function report(
  result: BatchResult,
  context: {
    skipped: number;
    format: 'text' | 'json';
    outputPath: string;
    maxCostText: string | undefined;
    signalled: NodeJS.Signals | undefined;
    priorSpent: bigint;
  },
): Promise<number> {
  const { moneyToUsdString } = await import('../../shared/money.ts');
  const { duration } = await import('../output.ts');
  const { describeError } = await import('../describe-error.ts');
  const { stderrStyle } = await import('../style.ts');
  const exitCode =
    result.stopReason === 'interrupted'
      ? context.signalled === 'SIGTERM'
        ? 143
        : 130
      : result.stopReason === 'max-cost'
        ? 3
        : result.stopReason === 'fatal' || result.failed > 0
          ? 1
          : 0;
  const fatal = result.fatalError === undefined ? undefined : describeError(result.fatalError).message;
  if (context.format === 'json') {
    const { printJson } = await import('../output.ts');
    printJson({
      stopReason: result.stopReason,
      exitCode,
      done: result.done,
      failed: result.failed,
      skipped: context.skipped,
      notStarted: result.notStarted,
      aborted: result.aborted,
      spentUsd: moneyToUsdString(result.spent),
      totalSpentUsd: moneyToUsdString(result.spent + context.priorSpent),
      maxCostUsd: context.maxCostText ?? null,
      elapsedMs: result.elapsedMs,
      output: context.outputPath,
      ...(fatal ? { error: fatal } : {}),
    });
  }
  const style = stderrStyle();
  const parts = [
    `${result.done} done`,
    `${result.failed} failed`,
    `${context.skipped} skipped (already in the output)`,
  ];
  if (result.notStarted > 0) parts.push(`${result.notStarted} not started`);
  if (result.aborted > 0) parts.push(`${result.aborted} aborted`);
  const total =
    context.priorSpent > 0n
      ? ` ($${moneyToUsdString(result.spent + context.priorSpent)} with earlier runs)`
      : '';
  const summary = `batch: ${parts.join(', ')}; spent $${moneyToUsdString(result.spent)}${total} in ${duration(result.elapsedMs)}.`;
  process.stderr.write(`${result.failed > 0 || fatal ? style.yellow(summary) : summary}\n`);
  if (result.stopReason === 'max-cost') {
    process.stderr.write(
      `batch: stopped by --max-cost $${context.maxCostText}: the next call could have crossed it. Rerun with a higher --max-cost to continue.\n`,
    );
  } else if (result.stopReason === 'interrupted') {
    process.stderr.write('batch: interrupted. Rerun the same command to continue where it stopped.\n');
  } else if (fatal) {
    process.stderr.write(`tollgate batch: ${fatal} Finished lines are kept; rerun to continue.\n`);
  } else if (result.failed > 0) {
    process.stderr.write(
      `batch: ${result.failed} line(s) failed (see "error" in ${context.outputPath}); rerun with --retry-failed to try them again.\n`,
    );
  }
  return exitCode;
}
