import type { Command } from 'commander';
import type { Model } from '../../shared/wire/index.ts';

interface ModelsFlags {
  search?: string;
  provider?: string;
  modality?: string;
  maxPrice?: string;
  minContext?: string;
  sort?: string;
  limit?: string;
  format?: string;
}

export function registerModelsCommand(program: Command): void {
  program
    .command('models')
    .description("OpenRouter's models with prices per million tokens (no key needed)")
    .option('--search <text>', 'only models whose id or name contains this')
    .option('--provider <names>', 'only these model authors, e.g. openai,anthropic (the part before "/")')
    .option(
      '--modality <kind>',
      'only models taking or producing this: text, image, audio, file, video, embeddings',
    )
    .option('--max-price <usd>', 'only models whose prompt price is at most this, in USD per million tokens')
    .option('--min-context <tokens>', 'only models with at least this context length')
    .option('--sort <key>', 'price, context or name', 'name')
    .option('--limit <n>', 'show at most this many')
    .option('--format <format>', 'table or json', 'table')
    .addHelpText('after', '\nExample:\n  tollgate models --search gemini --max-price 0.5 --sort price')
    .action(async (flags: ModelsFlags) => {
      const { runAction } = await import('../run-action.ts');
      await runAction('models', () => models(flags));
    });
}

interface ModelView {
  id: string;
  name: string;
  contextLength: number | null;
  promptUsdPerMillion: string | null;
  completionUsdPerMillion: string | null;
  inputModalities: string[];
  outputModalities: string[];
  pricing: Model['pricing'];
  /** Exact prompt price per million, for filtering and sorting; null when not a fixed price. */
  promptPerMillion: bigint | null;
}

async function models(flags: ModelsFlags): Promise<void> {
  const { parseChoiceFlag, parseFormatFlag, parseIntFlag, parseListFlag, parseTextFlag, parseUsdFlag } =
    await import('../flags.ts');
  const { printJson, printTable, integer } = await import('../output.ts');
  const { moneyFromUsd, moneyToUsdString, priceTimes } = await import('../../shared/money.ts');

  const format = parseFormatFlag(flags.format, ['table', 'json'], 'table');
  const search = parseTextFlag('--search', flags.search, 'gemini')?.toLowerCase();
  const providers = parseListFlag('--provider', flags.provider)?.map((name) => name.toLowerCase());
  const modality = parseTextFlag('--modality', flags.modality, 'image')?.toLowerCase();
  const maxPriceText = parseUsdFlag('--max-price', flags.maxPrice, '0.5');
  const maxPrice = maxPriceText === undefined ? undefined : moneyFromUsd(maxPriceText);
  const minContext = parseIntFlag('--min-context', flags.minContext, { min: 0, example: '128000' });
  const sort = parseChoiceFlag('--sort', flags.sort, ['price', 'context', 'name'] as const) ?? 'name';
  const limit = parseIntFlag('--limit', flags.limit, { min: 1, example: '20' });

  const { loadCliConfig, withClient } = await import('../open-context.ts');
  const config = loadCliConfig();
  const list = await withClient(config, { needKey: false }, async (client) => {
    // OpenRouter lists text-output models by default; a modality filter needs every model.
    const result = await client.models.list(
      modality === undefined ? undefined : { output_modalities: 'all' },
    );
    return result.data;
  });

  const exactPerMillion = (price: string | undefined): bigint | null => {
    if (price === undefined) return null;
    try {
      const value = priceTimes(price, 1_000_000);
      return value < 0n ? null : value; // a negative price (routers such as openrouter/auto) means "varies"
    } catch {
      return null;
    }
  };
  const usdText = (amount: bigint | null) => (amount === null ? null : moneyToUsdString(amount));
  let views: ModelView[] = list.map((model) => {
    const prompt = exactPerMillion(model.pricing.prompt);
    return {
      id: model.id,
      name: model.name,
      contextLength: model.context_length ?? model.top_provider?.context_length ?? null,
      promptUsdPerMillion: usdText(prompt),
      completionUsdPerMillion: usdText(exactPerMillion(model.pricing.completion)),
      inputModalities: model.architecture?.input_modalities ?? [],
      outputModalities: model.architecture?.output_modalities ?? [],
      pricing: model.pricing,
      promptPerMillion: prompt,
    };
  });
  views = views.filter((view) => {
    if (search && !view.id.toLowerCase().includes(search) && !view.name.toLowerCase().includes(search))
      return false;
    if (providers && !providers.some((provider) => view.id.toLowerCase().startsWith(`${provider}/`)))
      return false;
    if (modality && ![...view.inputModalities, ...view.outputModalities].includes(modality)) return false;
    if (maxPrice !== undefined && (view.promptPerMillion === null || view.promptPerMillion > maxPrice))
      return false;
    if (minContext !== undefined && (view.contextLength ?? 0) < minContext) return false;
    return true;
  });
  views.sort((a, b) => {
    if (sort === 'context')
      return (b.contextLength ?? 0) - (a.contextLength ?? 0) || a.id.localeCompare(b.id);
    if (sort === 'price') {
      const x = a.promptPerMillion;
      const y = b.promptPerMillion;
      if (x !== y) return x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
    }
    return a.id.localeCompare(b.id);
  });
  if (limit !== undefined) views = views.slice(0, limit);

  if (format === 'json') {
    printJson(views.map(({ promptPerMillion: _exact, ...view }) => view));
    return;
  }
  const price = (text: string | null) => (text === null ? 'varies' : `$${text}`);
  printTable(
    views,
    [
      { header: 'model', value: (view) => view.id },
      { header: 'context', value: (view) => integer(view.contextLength), align: 'right' },
      { header: 'prompt $/M', value: (view) => price(view.promptUsdPerMillion), align: 'right' },
      { header: 'completion $/M', value: (view) => price(view.completionUsdPerMillion), align: 'right' },
      {
        header: 'modalities',
        value: (view) =>
          `${view.inputModalities.join('+') || '?'} → ${view.outputModalities.join('+') || '?'}`,
      },
    ],
    'No model matches these filters.',
  );
}
