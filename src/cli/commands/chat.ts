import type { Command } from 'commander';
import type { ChatRequest, ChatResult, Tollgate } from '../../library/index.ts';
import { addDbOption } from '../report-flags.ts';

interface ChatFlags {
  model?: string;
  system?: string;
  temperature?: string;
  maxTokens?: string;
  reasoning?: string;
  schema?: string;
  stream?: boolean;
  showReasoning?: boolean;
  module?: string;
  user?: string;
  maxCost?: string;
  format?: string;
  db?: string;
}

export function registerChatCommand(program: Command): void {
  addDbOption(
    program
      .command('chat')
      .description('Ask a model once, metered: prints the answer, then tokens, cost and generation id')
      .argument('[prompt...]', 'the prompt; "-" or nothing reads it from stdin')
      .option('-m, --model <id>', "model id, e.g. openai/gpt-4o-mini (default: the module profile's)")
      .option('--system <text>', 'system prompt')
      .option('--temperature <t>', 'sampling temperature, 0 to 2')
      .option('--max-tokens <n>', 'cap on output tokens')
      .option('--reasoning <effort>', 'reasoning effort: low, medium or high')
      .option('--show-reasoning', 'print the reasoning text to stderr')
      .option(
        '--schema <file>',
        'a JSON Schema file: the answer must be JSON matching it (strict json_schema)',
      )
      .option('--stream', 'print the answer as it arrives (default in a terminal)')
      .option('--no-stream', 'print the answer once complete')
      .option('--module <name>', 'attribute the call to this module (its profile and budgets apply)', 'cli')
      .option('--user <id>', 'attribute the call to this end user (sent upstream as `user`)')
      .option('--max-cost <usd>', 'refuse the call if even its prompt would cost more than this')
      .option('--format <format>', 'text, or json: one JSON object with the answer, usage and cost', 'text')
      .addHelpText(
        'after',
        '\nThe answer goes to stdout; tokens, cost and generation id go to stderr, so the answer stays pipeable.\n' +
          'Example:\n  tollgate chat -m openai/gpt-4o-mini "Name three rivers" --max-tokens 100',
      ),
  ).action(async (words: string[], flags: ChatFlags) => {
    const { runAction } = await import('../run-action.ts');
    await runAction('chat', () => chat(words, flags));
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function chat(words: string[], flags: ChatFlags): Promise<number> {
  const { parseChoiceFlag, parseIntFlag, parseNumberFlag, parseTextFlag, parseUsdFlag, UsageError } =
    await import('../flags.ts');

  const format = parseChoiceFlag('--format', flags.format, ['text', 'json'] as const) ?? 'text';
  const temperature = parseNumberFlag('--temperature', flags.temperature, { min: 0, max: 2, example: '0.3' });
  const maxTokens = parseIntFlag('--max-tokens', flags.maxTokens, { min: 1, example: '500' });
  const effort = parseChoiceFlag('--reasoning', flags.reasoning, ['low', 'medium', 'high'] as const);
  const { parseAttributionFlag } = await import('../attribution-flags.ts');
  const module = parseAttributionFlag('--module', flags.module, 'summarize') ?? 'cli';
  const user = parseAttributionFlag('--user', flags.user, 'u-42');
  const model = parseTextFlag('--model', flags.model, 'openai/gpt-4o-mini');
  const maxCost = parseUsdFlag('--max-cost', flags.maxCost, '0.05');
  const schemaFile = flags.schema === undefined ? undefined : await import('../json-schema-file.ts');
  const schema = flags.schema === undefined ? undefined : await schemaFile?.readSchemaFile(flags.schema);
  const { loadCliConfig, openTollgate } = await import('../open-context.ts');
  const config = loadCliConfig(flags);
  if (!model && !config.modules[module]?.model && !config.modules[module]?.models) {
    throw new UsageError(
      `which model? Pass -m (e.g. -m openai/gpt-4o-mini; \`tollgate models\` lists them), or give module "${module}" a model in tollgate.config.json.`,
    );
  }
  let prompt = words.join(' ').trim();
  if (prompt === '' || prompt === '-') {
    if (process.stdin.isTTY)
      throw new UsageError('no prompt. Example: tollgate chat -m openai/gpt-4o-mini "Hello"');
    prompt = (await readStdin()).trim();
    if (prompt === '') throw new UsageError('the prompt read from stdin is empty.');
  }

  const messages: ChatRequest['messages'] = [];
  if (flags.system !== undefined) messages.push({ role: 'system', content: flags.system });
  messages.push({ role: 'user', content: prompt });
  const abort = new AbortController();
  const request: ChatRequest = {
    module,
    messages,
    signal: abort.signal,
    ...(model ? { model } : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }),
    ...(effort === undefined ? {} : { reasoning: { effort } }),
    ...(user === undefined ? {} : { user }),
    ...(maxCost === undefined ? {} : { maxCostUsd: maxCost }),
    ...(schema ? { response_format: schema.responseFormat } : {}),
  };
  const stream = flags.stream ?? (process.stdout.isTTY === true && format === 'text');

  const tg = await openTollgate(config, { checkBalance: false });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    abort.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSigint);
  // The reader of a streamed answer left (`| head -c 5`): the rest of the answer would be paid
  // for and dropped, so the call is cancelled, and recorded as such with what is known.
  const { onStdoutClosed } = await import('../stdout-closed.ts');
  let outputGone = false;
  const stopWatchingOutput = onStdoutClosed(() => {
    outputGone = true;
    abort.abort(new Error('stdout closed'));
  });
  let result: ChatResult;
  try {
    result = stream
      ? await streamAnswer(tg, request, format === 'text', flags.showReasoning === true)
      : await tg.chat(request);
  } catch (error) {
    // Quietly: the exit code (141) says the output went away; the ledger row says the rest.
    if (outputGone && !interrupted) return 0;
    if (interrupted) {
      process.stderr.write(
        '\ntollgate chat: interrupted; the call was cancelled and recorded in the ledger.\n',
      );
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    stopWatchingOutput();
    await tg.close();
  }

  const checked = schema ? schemaFile?.checkAnswer(schema, result.text) : undefined;
  if (format === 'json') {
    const { printJson } = await import('../output.ts');
    printJson({
      text: result.text,
      ...(checked?.ok ? { data: checked.data } : {}),
      ...(checked && !checked.ok ? { schemaProblems: checked.problems } : {}),
      reasoning: result.reasoning || undefined,
      model: result.model ?? null,
      provider: result.provider ?? null,
      finishReason: result.finishReason,
      truncated: result.truncated,
      usage: result.usage ?? null,
      cost: result.cost,
      costSource: result.costSource,
      generationId: result.generationId ?? null,
      requestId: result.id,
      latencyMs: result.latencyMs,
    });
  } else {
    if (!stream) {
      if (flags.showReasoning && result.reasoning) process.stderr.write(`${result.reasoning}\n\n`);
      const answer = checked?.ok ? JSON.stringify(checked.data, null, 2) : result.text;
      process.stdout.write(answer.endsWith('\n') ? answer : `${answer}\n`);
    } else if (!result.text.endsWith('\n')) {
      process.stdout.write('\n');
    }
    await printStats(result);
  }
  if (checked && !checked.ok) {
    process.stderr.write(
      `tollgate chat: the answer does not match ${flags.schema}: ${checked.problems.slice(0, 5).join('; ')}. Raise --max-tokens if it was cut short, or simplify the schema.\n`,
    );
    return 1;
  }
  return 0;
}

async function streamAnswer(tg: Tollgate, request: ChatRequest, print: boolean, showReasoning: boolean) {
  const stream = tg.stream(request);
  for await (const part of stream) {
    if (!print) continue;
    if (part.type === 'text') process.stdout.write(part.text);
    else if (part.type === 'reasoning' && showReasoning) process.stderr.write(part.text);
  }
  return await stream.result;
}

async function printStats(result: ChatResult): Promise<void> {
  const { stderrStyle } = await import('../style.ts');
  const { duration, integer, usd } = await import('../output.ts');
  const usage = result.usage;
  const parts = [
    result.model ?? 'model ?',
    `${integer(usage?.prompt_tokens)} in / ${integer(usage?.completion_tokens)} out tokens`,
    result.cost === null ? 'cost unknown (reconciled later)' : usd(result.cost),
    result.generationId ?? 'no generation id',
    duration(result.latencyMs),
  ];
  if (result.truncated) parts.push('cut short at --max-tokens');
  process.stderr.write(`${stderrStyle().dim(`── ${parts.join(' · ')}`)}\n`);
}
