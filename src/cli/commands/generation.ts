import type { Command } from 'commander';

interface GenerationFlags {
  wait?: string;
  format?: string;
}

export function registerGenerationCommand(program: Command): void {
  program
    .command('generation')
    .description('What OpenRouter billed for one generation: cost, tokens, latency, provider attempts')
    .argument('<id>', 'the generation id (gen-…), as printed by `tollgate chat` or kept in the ledger')
    .option('--wait <seconds>', 'keep asking while OpenRouter has not published it yet (404)', '0')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id: string, flags: GenerationFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('generation', () => generation(id, flags));
    });
}

async function generation(id: string, flags: GenerationFlags): Promise<void> {
  const { parseFormatFlag, parseNumberFlag, UsageError } = await import('../flags.ts');
  const { printJson, duration, integer } = await import('../output.ts');
  const { isAPIError } = await import('../../client/index.ts');
  const { moneyFromUsd, moneyToUsdString } = await import('../../shared/money.ts');
  const { stdoutStyle } = await import('../style.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const waitMs = (parseNumberFlag('--wait', flags.wait, { min: 0, max: 600, example: '10' }) ?? 0) * 1000;
  const generationId = id.trim();
  if (generationId === '')
    throw new UsageError('the generation id must not be empty. Example: tollgate generation gen-123');
  const { loadCliConfig, withClient } = await import('../open-context.ts');
  const config = loadCliConfig();
  const deadline = Date.now() + waitMs;
  const data = await withClient(config, { needKey: true }, async (client) => {
    for (;;) {
      try {
        return (await client.generation.get(generationId)).data;
      } catch (error) {
        if (!(isAPIError(error) && error.status === 404)) throw error;
        if (Date.now() >= deadline) {
          throw new Error(
            `generation ${generationId} not found. OpenRouter publishes a generation a few seconds after the call ends: retry, or pass --wait 10. Check the id otherwise.`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  });
  if (format === 'json') {
    printJson(data);
    return;
  }
  const style = stdoutStyle();
  const lines: [string, string][] = [
    ['id', data.id],
    ['model', `${data.model ?? '-'}${data.provider_name ? ` via ${data.provider_name}` : ''}`],
    ['cost', `$${moneyToUsdString(moneyFromUsd(data.total_cost))}${data.is_byok ? ' (BYOK)' : ''}`],
    [
      'tokens',
      `${integer(data.native_tokens_prompt ?? data.tokens_prompt)} prompt, ${integer(data.native_tokens_completion ?? data.tokens_completion)} completion` +
        `${data.native_tokens_reasoning ? `, ${integer(data.native_tokens_reasoning)} reasoning` : ''}` +
        `${data.native_tokens_cached ? `, ${integer(data.native_tokens_cached)} cached` : ''}`,
    ],
    [
      'finish',
      `${data.finish_reason ?? '-'}${data.native_finish_reason ? ` (native: ${data.native_finish_reason})` : ''}`,
    ],
    [
      'latency',
      `${duration(data.latency)}${data.generation_time ? `, generation ${duration(data.generation_time)}` : ''}`,
    ],
    ['created', data.created_at ?? '-'],
  ];
  if (data.streamed !== undefined && data.streamed !== null)
    lines.push(['streamed', data.streamed ? 'yes' : 'no']);
  if (data.cancelled) lines.push(['cancelled', 'yes']);
  for (const [index, attempt] of (data.provider_responses ?? []).entries()) {
    lines.push([
      index === 0 ? 'attempts' : '',
      `${attempt.provider_name ?? '?'} → ${attempt.status ?? '?'}${attempt.latency ? ` in ${duration(attempt.latency)}` : ''}`,
    ]);
  }
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, value] of lines) process.stdout.write(`${style.bold(label.padEnd(width))}  ${value}\n`);
}
