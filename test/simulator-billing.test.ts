import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import {
  at,
  type Completion,
  call,
  chat,
  chunksOf,
  type Data,
  exactSum,
  type Generation,
  json,
  parseSse,
  priceTimes,
  units,
} from './simulator-helpers.ts';

interface ModelData {
  pricing: { prompt: string; completion: string; overrides?: { prompt: string; completion: string }[] };
}
interface ActivityRow {
  date: string;
  model: string;
  requests: number;
  usage: number;
  provider_name: string;
  model_permaslug: string;
}

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
});
afterAll(() => sim.close());

describe('billing, caching and routing', () => {
  it('bills prompt × prompt price + completion × completion price from the catalogue', async () => {
    const model = (await json<Data<ModelData>>(await call(sim, '/model/openai/gpt-4o-mini'))).data;
    const body = await json<Completion>(
      await chat(sim, { messages: [{ role: 'user', content: 'Price me exactly.' }] }),
    );
    const expected =
      priceTimes(model.pricing.prompt, body.usage.prompt_tokens) +
      priceTimes(model.pricing.completion, body.usage.completion_tokens);
    expect(units(body.usage.cost)).toBe(expected);
  });

  it('reads long repeated prefixes from the prompt cache (implicit) and bills writes where asked (explicit)', async () => {
    const key = 'cache-key';
    const system = { role: 'system', content: 'You are a careful assistant. '.repeat(200) };
    const ask = async (model: string, messages: unknown[], k = key) =>
      (await json<Completion>(await chat(sim, { model, messages }, { key: k }))).usage;
    const first = await ask('openai/gpt-4o-mini', [system, { role: 'user', content: 'One?' }]);
    const second = await ask('openai/gpt-4o-mini', [system, { role: 'user', content: 'Two?' }]);
    expect(first.prompt_tokens_details.cached_tokens).toBe(0);
    expect(second.prompt_tokens_details.cached_tokens).toBeGreaterThan(1000);
    expect(second.prompt_tokens_details.cache_write_tokens).toBe(0);
    expect(second.cost_details.upstream_inference_prompt_cost).toBeLessThan(
      first.cost_details.upstream_inference_prompt_cost,
    );
    // Another account does not share the cache.
    const other = await ask('openai/gpt-4o-mini', [system, { role: 'user', content: 'Two?' }], 'cache-key-2');
    expect(other.prompt_tokens_details.cached_tokens).toBe(0);

    const marked = {
      role: 'system',
      content: [{ type: 'text', text: 'Policy text. '.repeat(400), cache_control: { type: 'ephemeral' } }],
    };
    const write = await ask('anthropic/claude-sonnet-4.5', [marked, { role: 'user', content: 'A' }]);
    const read = await ask('anthropic/claude-sonnet-4.5', [marked, { role: 'user', content: 'B' }]);
    expect(write.prompt_tokens_details.cache_write_tokens).toBeGreaterThan(1000);
    expect(read.prompt_tokens_details.cached_tokens).toBeGreaterThan(1000);
    const unmarked = await ask('anthropic/claude-sonnet-4.5', [system, { role: 'user', content: 'C' }]);
    expect(unmarked.prompt_tokens_details.cache_write_tokens).toBe(0);
  });

  it('applies context-tier overrides, discounts, the request fee, and free models cost nothing', async () => {
    const sonnet = (await json<Data<ModelData>>(await call(sim, '/model/anthropic/claude-sonnet-4.5'))).data
      .pricing;
    const long = 'x'.repeat(4 * 200_100);
    const big = await json<Completion>(
      await chat(sim, {
        model: 'anthropic/claude-sonnet-4.5',
        max_tokens: 5,
        messages: [{ role: 'user', content: long }],
      }),
    );
    const tier = at(sonnet.overrides);
    expect(units(big.usage.cost)).toBe(
      priceTimes(tier.prompt, big.usage.prompt_tokens) +
        priceTimes(tier.completion, big.usage.completion_tokens),
    );

    const llama = await json<Completion>(await chat(sim, { model: 'meta-llama/llama-3.3-70b-instruct' }));
    const full =
      priceTimes('0.00000013', llama.usage.prompt_tokens) +
      priceTimes('0.0000004', llama.usage.completion_tokens);
    expect(units(llama.usage.cost)).toBe((full * 3n) / 4n);

    const sonar = await json<Completion>(await chat(sim, { model: 'perplexity/sonar' }));
    const tokens =
      priceTimes('0.000001', sonar.usage.prompt_tokens) +
      priceTimes('0.000001', sonar.usage.completion_tokens);
    expect(units(sonar.usage.cost)).toBe(tokens + priceTimes('0.005', 1));

    const free = await json<Completion>(
      await chat(sim, { model: 'meta-llama/llama-3.3-70b-instruct:free' }, { key: 'free-key' }),
    );
    expect(free.usage.cost).toBe(0);
    const key = await json<Data<{ free_model_daily_requests: unknown }>>(
      await call(sim, '/key', { key: 'free-key' }),
    );
    expect(key.data.free_model_daily_requests).toMatchObject({ used: 1, limit: 1000 });
  });

  it('routes by provider order/only/ignore and falls back along `models`', async () => {
    const azure = await json<Completion>(await chat(sim, { provider: { order: ['azure'] } }));
    expect(azure.provider).toBe('Azure');
    expect(azure.system_fingerprint).toMatch(/^fp_/);
    const llama = 'meta-llama/llama-3.3-70b-instruct';
    expect(
      (await json<Completion>(await chat(sim, { model: llama, provider: { only: ['Groq'] } }))).provider,
    ).toBe('Groq');
    expect(
      (await json<Completion>(await chat(sim, { model: llama, provider: { ignore: ['deepinfra'] } })))
        .provider,
    ).toBe('Together');
    expect((await chat(sim, { provider: { only: ['groq'] } })).status).toBe(404);

    const fallback = await chat(
      sim,
      { model: 'openai/gpt-4o-mini', models: ['anthropic/claude-haiku-4.5'] },
      { fault: '503' },
    );
    expect(fallback.status).toBe(200);
    const body = await json<Completion>(fallback);
    expect(body.model).toBe('anthropic/claude-haiku-4.5');
    const generation = (await json<Data<Generation>>(await call(sim, `/generation?id=${body.id}`))).data;
    expect(generation.provider_responses?.map((p) => [p.provider_name, p.status])).toEqual([
      ['OpenAI', 503],
      ['Anthropic', 200],
    ]);
    expect((await chat(sim, { model: 'nope/nothing' })).status).toBe(400);
  });

  it('grows /credits and /key usage by exactly the sum of usage.cost, and /activity aggregates the calls', async () => {
    const key = 'sum-key';
    const costs: number[] = [];
    for (const model of [
      'openai/gpt-4o-mini',
      'google/gemini-2.5-flash',
      'anthropic/claude-sonnet-4.5',
      'openai/gpt-4o-mini',
    ]) {
      costs.push((await json<Completion>(await chat(sim, { model }, { key }))).usage.cost);
    }
    const streamed = chunksOf(
      parseSse(await (await chat(sim, { stream: true, model: 'x-ai/grok-3-mini' }, { key })).text()),
    );
    costs.push(at(streamed, streamed.length - 1).usage?.cost ?? Number.NaN);
    const expected = exactSum(costs);
    expect(sim.state.account(key)?.totalUsageExact).toBe(expected);
    const credits = await json<Data<unknown>>(await call(sim, '/credits', { key }));
    expect(credits.data).toEqual({ total_credits: 100, total_usage: Number(expected) });
    const current = (await json<Data<Record<string, number>>>(await call(sim, '/key', { key }))).data;
    expect(current.usage).toBe(Number(expected));
    expect(current.usage_daily).toBe(Number(expected));
    expect(current.usage_monthly).toBe(Number(expected));
    const activity = (await json<Data<ActivityRow[]>>(await call(sim, '/activity', { key }))).data;
    expect(activity.reduce((n, row) => n + row.requests, 0)).toBe(5);
    expect(exactSum(activity.map((row) => row.usage))).toBe(expected);
    const mini = activity.find((row) => row.model === 'openai/gpt-4o-mini');
    expect(mini).toMatchObject({
      requests: 2,
      provider_name: 'OpenAI',
      model_permaslug: 'openai/gpt-4o-mini-2024-07-18',
    });
    expect(mini?.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
