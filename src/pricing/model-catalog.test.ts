import { describe, expect, it } from 'vitest';
import { createModelCatalog, NOT_LOADED } from './model-catalog.ts';
import type { EndpointInfo, ModelInfo } from './model-info.ts';

function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** listModels whose calls are answered by the test, one at a time. */
function controlledList() {
  const calls: {
    resolve: (models: ModelInfo[]) => void;
    reject: (error: Error) => void;
    signal?: AbortSignal;
  }[] = [];
  const listModels = (signal?: AbortSignal) =>
    new Promise<ModelInfo[]>((resolve, reject) => {
      calls.push({ resolve, reject, ...(signal ? { signal } : {}) });
    });
  return { calls, listModels };
}

const flash: ModelInfo = {
  id: 'google/gemini-2.5-flash',
  canonical_slug: 'google/gemini-2.5-flash-20250617',
  pricing: { prompt: '0.0000003', completion: '0.0000025', internal_reasoning: '0' },
  context_length: 1_048_576,
  top_provider: { context_length: 1_048_576, max_completion_tokens: 65_535 },
  architecture: {
    modality: 'text+image->text',
    input_modalities: ['text', 'image'],
    output_modalities: ['text'],
  },
};
const llamaFree: ModelInfo = {
  id: 'meta-llama/llama-3.3-70b-instruct:free',
  pricing: { prompt: '0', completion: '0' },
  context_length: 131_072,
};
const llama: ModelInfo = {
  id: 'meta-llama/llama-3.3-70b-instruct',
  pricing: { prompt: '0.00000013', completion: '0.0000004' },
  context_length: 131_072,
  top_provider: { max_completion_tokens: null },
};
const auto: ModelInfo = {
  id: 'openrouter/auto',
  pricing: { prompt: '-1', completion: '-1' },
  context_length: 2_000_000,
};
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createModelCatalog', () => {
  it('loads on first use and answers models, variants, slugs and unknowns', async () => {
    const clock = fakeClock();
    let calls = 0;
    const catalog = createModelCatalog({
      clock,
      ttlMs: 60_000,
      listModels: async () => {
        calls += 1;
        return [flash, llamaFree, llama, auto];
      },
    });
    expect(catalog.peek('google/gemini-2.5-flash')).toBeUndefined(); // not loaded yet; starts a load
    const model = await catalog.get('google/gemini-2.5-flash');
    expect(calls).toBe(1);
    expect(model).toMatchObject({
      id: 'google/gemini-2.5-flash',
      requestedId: 'google/gemini-2.5-flash',
      pricing: { prompt: '0.0000003', completion: '0.0000025' },
      contextLength: 1_048_576,
      maxCompletionTokens: 65_535,
    });
    expect(model?.architecture?.input_modalities).toEqual(['text', 'image']);
    expect(catalog.peek('google/gemini-2.5-flash-20250617')?.id).toBe('google/gemini-2.5-flash');
    expect(await catalog.get('meta-llama/llama-3.3-70b-instruct:free')).toMatchObject({
      id: 'meta-llama/llama-3.3-70b-instruct:free',
      pricing: { prompt: '0' },
    });
    expect(await catalog.get('meta-llama/llama-3.3-70b-instruct:nitro')).toMatchObject({
      id: 'meta-llama/llama-3.3-70b-instruct',
      variant: 'nitro',
      maxCompletionTokens: null,
    });
    expect(await catalog.get('google/gemini-2.5-flash:free')).toBeUndefined(); // :free is its own model
    expect(await catalog.get('acme/unknown')).toBeUndefined();
    const router = await catalog.get('openrouter/auto');
    expect(router?.pricing).toBeUndefined();
    expect(router?.pricingError).toMatch(/openrouter\/auto.*negative price/);
    expect(await catalog.priceFor('openrouter/auto')).toBeUndefined();
    expect(catalog.status()).toMatchObject({ models: 4, loading: false, loadedAt: 1_000_000 });
    expect(calls).toBe(1);
  });

  it('serves the stale catalogue while one background refresh runs after the TTL', async () => {
    const clock = fakeClock();
    const list = controlledList();
    const catalog = createModelCatalog({ clock, ttlMs: 60_000, listModels: list.listModels });
    const first = catalog.get('google/gemini-2.5-flash');
    const second = catalog.get('meta-llama/llama-3.3-70b-instruct');
    expect(list.calls).toHaveLength(1); // concurrent first loads share one call
    list.calls[0]?.resolve([flash, llama]);
    expect((await first)?.id).toBe('google/gemini-2.5-flash');
    expect((await second)?.id).toBe('meta-llama/llama-3.3-70b-instruct');

    clock.advance(59_999);
    await catalog.get('google/gemini-2.5-flash');
    expect(list.calls).toHaveLength(1); // still fresh
    clock.advance(1);
    const stale = await catalog.get('google/gemini-2.5-flash');
    expect(stale?.pricing?.prompt).toBe('0.0000003'); // answered at once from the old catalogue
    catalog.peek('google/gemini-2.5-flash');
    await catalog.get('google/gemini-2.5-flash');
    expect(list.calls).toHaveLength(2); // one refresh, however many reads
    expect(catalog.status().loading).toBe(true);

    const repriced = { ...flash, pricing: { prompt: '0.0000004', completion: '0.0000025' } };
    list.calls[1]?.resolve([repriced, llama]);
    await flush();
    expect(catalog.peek('google/gemini-2.5-flash')?.pricing?.prompt).toBe('0.0000004');
    expect(catalog.status()).toMatchObject({ loading: false, loadedAt: 1_060_000 });
  });

  it('keeps the last good catalogue when a refresh fails or comes back empty, and retries later', async () => {
    const clock = fakeClock();
    const list = controlledList();
    const catalog = createModelCatalog({ clock, ttlMs: 1000, retryMs: 5000, listModels: list.listModels });
    const loaded = catalog.get('google/gemini-2.5-flash');
    list.calls[0]?.resolve([flash]);
    await loaded;

    clock.advance(1000);
    catalog.peek('google/gemini-2.5-flash');
    list.calls[1]?.reject(new Error('503 from /models'));
    await flush();
    expect(catalog.peek('google/gemini-2.5-flash')?.id).toBe('google/gemini-2.5-flash');
    expect(catalog.status().lastError).toBeInstanceOf(Error);
    expect(list.calls).toHaveLength(2); // no retry before retryMs
    clock.advance(5000);
    catalog.peek('google/gemini-2.5-flash');
    expect(list.calls).toHaveLength(3);
    list.calls[2]?.resolve([]);
    await flush();
    expect(catalog.peek('google/gemini-2.5-flash')?.id).toBe('google/gemini-2.5-flash');
    expect(String(catalog.status().lastError)).toMatch(/empty/);

    await expect(
      (async () => {
        const refresh = catalog.refresh();
        list.calls[3]?.reject(new Error('still down'));
        await refresh;
      })(),
    ).rejects.toThrow('still down');
    expect(catalog.peek('google/gemini-2.5-flash')?.id).toBe('google/gemini-2.5-flash');
  });

  it('answers undefined (cost unknown, never 0) when the first load fails', async () => {
    const clock = fakeClock();
    let calls = 0;
    const catalog = createModelCatalog({
      clock,
      ttlMs: 1000,
      retryMs: 10_000,
      listModels: async () => {
        calls += 1;
        throw new Error('network down');
      },
    });
    expect(await catalog.get('google/gemini-2.5-flash')).toBeUndefined();
    expect(await catalog.priceFor('google/gemini-2.5-flash')).toBeUndefined();
    expect(calls).toBe(1); // the second read waits for retryMs
    expect(catalog.status()).toMatchObject({ models: 0, loadedAt: undefined });
  });

  it('prices by the serving provider when endpoint pricing is known', async () => {
    const clock = fakeClock();
    const endpoints: EndpointInfo[] = [
      {
        provider_name: 'DeepInfra',
        tag: 'deepinfra/fp8',
        pricing: { prompt: '0.0000001', completion: '0.00000032' },
      },
      {
        provider_name: 'Together',
        tag: 'together',
        pricing: { prompt: '0.00000088', completion: '0.00000088' },
      },
      { provider_name: 'Broken', tag: 'broken', pricing: { prompt: 'n/a', completion: '0' } },
    ];
    const requested: string[] = [];
    const catalog = createModelCatalog({
      clock,
      ttlMs: 60_000,
      listModels: async () => [llama],
      listEndpoints: async (modelId) => {
        requested.push(modelId);
        return endpoints;
      },
    });
    expect(await catalog.priceFor('meta-llama/llama-3.3-70b-instruct:nitro', 'Together')).toEqual({
      modelId: 'meta-llama/llama-3.3-70b-instruct',
      pricing: { prompt: '0.00000088', completion: '0.00000088' },
      source: 'endpoint',
      provider: 'Together',
    });
    expect(await catalog.priceFor('meta-llama/llama-3.3-70b-instruct', 'deepinfra')).toMatchObject({
      source: 'endpoint',
      provider: 'DeepInfra',
      pricing: { prompt: '0.0000001' },
    });
    expect(await catalog.priceFor('meta-llama/llama-3.3-70b-instruct', 'Broken')).toMatchObject({
      source: 'model',
    });
    expect(await catalog.priceFor('meta-llama/llama-3.3-70b-instruct', 'Nobody')).toMatchObject({
      source: 'model',
      pricing: { prompt: '0.00000013' },
    });
    expect(await catalog.priceFor('meta-llama/llama-3.3-70b-instruct')).toMatchObject({ source: 'model' });
    expect(requested).toEqual(['meta-llama/llama-3.3-70b-instruct']); // cached per model
  });

  it('quotes without waiting what priceFor would answer, and says when only priceFor can tell', async () => {
    const clock = fakeClock();
    const list = controlledList();
    const endpoints: EndpointInfo[] = [
      {
        provider_name: 'Together',
        tag: 'together',
        pricing: { prompt: '0.00000088', completion: '0.00000088' },
      },
    ];
    const endpointCalls: string[] = [];
    const catalog = createModelCatalog({
      clock,
      ttlMs: 60_000,
      listModels: list.listModels,
      listEndpoints: async (modelId) => {
        endpointCalls.push(modelId);
        return endpoints;
      },
    });
    // Nothing loaded: only priceFor can tell, and quoteNow starts no load of its own.
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct')).toBe(NOT_LOADED);
    expect(list.calls).toHaveLength(0);
    const loading = catalog.priceFor('meta-llama/llama-3.3-70b-instruct');
    list.calls[0]?.resolve([llama, llamaFree, flash]);
    await loading;

    const asked: Array<[string, string?]> = [
      ['meta-llama/llama-3.3-70b-instruct'],
      ['meta-llama/llama-3.3-70b-instruct:nitro'],
      ['meta-llama/llama-3.3-70b-instruct:free'],
      ['google/gemini-2.5-flash-20250617'],
      ['google/gemini-2.5-flash:free'],
      ['nobody/unknown'],
    ];
    for (const [model, provider] of asked) {
      const now = catalog.quoteNow(model, provider);
      expect([model, now]).toEqual([model, await catalog.priceFor(model, provider)]);
    }
    // The same quote each time: nothing is built per call.
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct')).toBe(
      catalog.quoteNow('meta-llama/llama-3.3-70b-instruct:nitro'),
    );

    // A provider's price needs its endpoints: not fetched yet, so only priceFor can tell.
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct', 'Together')).toBe(NOT_LOADED);
    expect(endpointCalls).toEqual([]);
    const viaTogether = await catalog.priceFor('meta-llama/llama-3.3-70b-instruct', 'Together');
    expect(viaTogether).toMatchObject({ source: 'endpoint', provider: 'Together' });
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct', 'Together')).toEqual(viaTogether);
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct', 'Nobody')).toMatchObject({
      source: 'model',
    });

    // Stale: the old quote at once, and one background refresh, as peek does.
    clock.advance(60_000);
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct')).toMatchObject({
      pricing: { prompt: '0.00000013' },
    });
    catalog.quoteNow('google/gemini-2.5-flash');
    expect(list.calls).toHaveLength(2);
    list.calls[1]?.resolve([{ ...llama, pricing: { prompt: '0.0000002', completion: '0.0000004' } }]);
    await flush();
    expect(catalog.quoteNow('meta-llama/llama-3.3-70b-instruct')).toMatchObject({
      pricing: { prompt: '0.0000002' },
    });
    expect(catalog.quoteNow('google/gemini-2.5-flash')).toBeUndefined();
  });

  it('accepts endpoint pricing given by the caller', async () => {
    const catalog = createModelCatalog({
      clock: fakeClock(),
      ttlMs: 60_000,
      listModels: async () => [flash],
    });
    catalog.setEndpoints('google/gemini-2.5-flash', [
      {
        provider_name: 'Google AI Studio',
        pricing: { prompt: '0.0000003', completion: '0.0000025', discount: 0.5 },
      },
    ]);
    expect(await catalog.priceFor('google/gemini-2.5-flash', 'Google AI Studio')).toMatchObject({
      source: 'endpoint',
      pricing: { discount: 0.5 },
    });
    expect(await catalog.priceFor('google/gemini-2.5-flash', 'Google')).toMatchObject({ source: 'model' });
  });

  it('aborts a load in flight on close', async () => {
    const list = controlledList();
    const catalog = createModelCatalog({ clock: fakeClock(), ttlMs: 1000, listModels: list.listModels });
    const pending = catalog.get('google/gemini-2.5-flash');
    catalog.close();
    expect(list.calls[0]?.signal?.aborted).toBe(true);
    list.calls[0]?.reject(new Error('aborted'));
    expect(await pending).toBeUndefined();
  });
});
