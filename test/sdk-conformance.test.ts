import { OpenRouter } from '@openrouter/sdk';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';

/**
 * The official clients, unmodified, against the simulator: their own response parsing (the
 * OpenRouter SDK validates every payload with zod) must accept everything the simulator sends.
 */

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
});
afterAll(() => sim.close());

const Review = z.object({
  title: z.string().min(3),
  rating: z.int().min(1).max(5),
  pros: z.array(z.string()).min(1),
  verdict: z.enum(['buy', 'skip']),
  reviewer: z.email().nullable(),
});

const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
  required: ['city', 'unit'],
  additionalProperties: false,
} as const;

describe('openai (official SDK)', () => {
  const client = () => new OpenAI({ apiKey: 'sk-or-v1-openai-sdk', baseURL: sim.url, maxRetries: 0 });

  it('completes a plain chat call', async () => {
    const completion = await client().chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(completion.id).toMatch(/^gen-/);
  });

  it('streams, including through the stream helper that accumulates the final completion', async () => {
    const stream = await client().chat.completions.create({
      model: 'anthropic/claude-haiku-4.5',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const helper = client().chat.completions.stream({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Stream please' }],
    });
    const final = await helper.finalChatCompletion();
    expect(final.choices[0]?.message.content).toEqual(expect.any(String));
    expect(final.choices[0]?.finish_reason).toBe('stop');
  });

  it('parses structured output (json_schema) with zodResponseFormat', async () => {
    const completion = await client().chat.completions.parse({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Review this product' }],
      response_format: zodResponseFormat(Review, 'review'),
    });
    const parsed = completion.choices[0]?.message.parsed;
    expect(Review.parse(parsed)).toEqual(parsed);
  });

  it('calls tools, and runs a tool loop to a final answer', async () => {
    const completion = await client().chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherParameters } }],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toMatchObject({ city: expect.any(String) });

    const calls: unknown[] = [];
    const runner = client().chat.completions.runTools({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [
        zodFunction({
          name: 'get_weather',
          parameters: z.object({ city: z.string(), unit: z.enum(['c', 'f']) }),
          function: (args) => {
            calls.push(args);
            return { temperature: 3 };
          },
        }),
      ],
    });
    const answer = await runner.finalContent();
    expect(calls).toHaveLength(1);
    expect(answer).toMatch(/tool result/);
  });

  it('reads models, credits, a generation and embeddings; raises typed errors', async () => {
    const api = client();
    const models: string[] = [];
    for await (const model of api.models.list()) models.push(model.id);
    expect(models).toContain('openai/gpt-4o-mini');
    const completion = await api.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
    });
    const credits = await api.get<{ data: { total_usage: number } }>('/credits');
    expect(credits.data.total_usage).toBeGreaterThan(0);
    const generation = await api.get<{ data: { id: string } }>('/generation', {
      query: { id: completion.id },
    });
    expect(generation.data.id).toBe(completion.id);
    const embedding = await api.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello' });
    expect(embedding.data[0]?.embedding).toHaveLength(1536);

    const limited = api.chat.completions.create(
      { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'X-Simulator-Fault': '429' } },
    );
    await expect(limited).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const broken = await api.chat.completions.create(
      { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true },
      { headers: { 'X-Simulator-Fault': 'mid-stream-error' } },
    );
    await expect(
      (async () => {
        for await (const _chunk of broken) {
          // consume until the in-band error
        }
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});

describe('@openrouter/sdk (official SDK)', () => {
  const client = () => new OpenRouter({ apiKey: 'sk-or-v1-openrouter-sdk', serverURL: sim.url });

  it('completes a plain chat call with cost, reasoning and provider details parsed', async () => {
    const result = await client().chat.send({
      chatRequest: {
        model: 'openai/gpt-5-mini',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: false,
      },
    });
    if (!('choices' in result)) throw new Error('expected a JSON result');
    expect(result.choices[0]?.message.content).toEqual(expect.any(String));
    expect(result.choices[0]?.message.reasoning).toEqual(expect.any(String));
    expect(result.usage?.cost).toBeGreaterThan(0);
    expect(result.usage?.costDetails?.upstreamInferenceCompletionsCost).toBeGreaterThan(0);
    expect(result.usage?.completionTokensDetails?.reasoningTokens).toBeGreaterThan(0);
  });

  it('streams chunks through the SDK event stream, usage last', async () => {
    const stream = await client().chat.send({
      chatRequest: {
        model: 'google/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Stream please' }],
        stream: true,
      },
    });
    if ('choices' in stream) throw new Error('expected a stream');
    let text = '';
    let cost: number | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finishReason ?? finish;
      if (chunk.usage) cost = chunk.usage.cost;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(cost).toBeGreaterThan(0);
  });

  it('returns structured output for a json_schema response format', async () => {
    const result = await client().chat.send({
      chatRequest: {
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Review this product' }],
        responseFormat: {
          type: 'json_schema',
          jsonSchema: { name: 'review', strict: true, schema: z.toJSONSchema(Review) },
        },
        stream: false,
      },
    });
    if (!('choices' in result)) throw new Error('expected a JSON result');
    const content = result.choices[0]?.message.content;
    expect(Review.safeParse(JSON.parse(typeof content === 'string' ? content : '')).success).toBe(true);
  });

  it('returns tool calls, and streams them', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'get_weather', parameters: weatherParameters } },
    ];
    const messages = [{ role: 'user' as const, content: 'Weather in Oslo?' }];
    const result = await client().chat.send({
      chatRequest: { model: 'openai/gpt-4o-mini', messages, tools, stream: false },
    });
    if (!('choices' in result)) throw new Error('expected a JSON result');
    expect(result.choices[0]?.finishReason).toBe('tool_calls');
    expect(result.choices[0]?.message.toolCalls?.[0]?.function.name).toBe('get_weather');
    const stream = await client().chat.send({
      chatRequest: { model: 'openai/gpt-4o-mini', messages, tools, stream: true },
    });
    if ('choices' in stream) throw new Error('expected a stream');
    let args = '';
    for await (const chunk of stream)
      for (const call of chunk.choices[0]?.delta.toolCalls ?? []) args += call.function?.arguments ?? '';
    expect(JSON.parse(args)).toMatchObject({ city: expect.any(String) });
  });

  it('reads models, endpoints, providers, embeddings, credits, key, keys, activity and a generation', async () => {
    const sdk = client();
    const ids: string[] = [];
    for await (const page of await sdk.models.list({ limit: 5 }))
      ids.push(...page.result.data.map((m) => m.id));
    expect(ids).toContain('anthropic/claude-sonnet-4.5');
    expect((await sdk.models.get({ author: 'openai', slug: 'gpt-4o-mini' })).data.id).toBe(
      'openai/gpt-4o-mini',
    );
    expect((await sdk.models.count()).data.count).toBe(ids.length);
    const endpoints = await sdk.endpoints.list({ author: 'google', slug: 'gemini-2.5-flash' });
    expect(endpoints.data.endpoints.map((e) => e.providerName)).toEqual(['Google', 'Google AI Studio']);
    expect((await sdk.providers.list()).data.length).toBeGreaterThanOrEqual(6);
    const embedded = await sdk.embeddings.generate({
      requestBody: { model: 'openai/text-embedding-3-small', input: ['a', 'b'] },
    });
    if (typeof embedded === 'string') throw new Error('expected JSON');
    expect(embedded.data).toHaveLength(2);
    const embeddingModels: string[] = [];
    for await (const page of await sdk.embeddings.listModels())
      embeddingModels.push(...page.result.data.map((m) => m.id));
    expect(embeddingModels).toContain('openai/text-embedding-3-small');

    const result = await sdk.chat.send({
      chatRequest: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: false },
    });
    if (!('choices' in result)) throw new Error('expected a JSON result');
    const generation = await sdk.generations.getGeneration({ id: result.id });
    expect(generation.data.totalCost).toBe(result.usage?.cost);
    expect(generation.data.providerResponses?.[0]?.status).toBe(200);
    const credits = await sdk.credits.getCredits();
    expect(credits.data.totalUsage).toBeGreaterThan(0);
    const key = await sdk.apiKeys.getCurrentKeyMetadata();
    expect(key.data.usage).toBe(credits.data.totalUsage);
    const activity = await sdk.analytics.getUserActivity();
    expect(activity.data.length).toBeGreaterThan(0);

    const created = await sdk.apiKeys.create({ requestBody: { name: 'sdk key', limit: 1 } });
    expect(created.key).toMatch(/^sk-or-v1-/);
    expect((await sdk.apiKeys.list()).data.map((k) => k.hash)).toContain(created.data.hash);
    expect((await sdk.apiKeys.get({ hash: created.data.hash })).data.name).toBe('sdk key');
    const updated = await sdk.apiKeys.update({
      hash: created.data.hash,
      requestBody: { name: 'renamed', disabled: true },
    });
    expect(updated.data).toMatchObject({ name: 'renamed', disabled: true });
    expect((await sdk.apiKeys.delete({ hash: created.data.hash })).deleted).toBe(true);
  });

  it('exchanges an OAuth PKCE code for a key', async () => {
    const sdk = client();
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const code = await sdk.oAuth.createAuthCode({
      requestBody: {
        callbackUrl: 'http://localhost:3000/cb',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
      },
    });
    const exchanged = await sdk.oAuth.exchangeAuthCodeForAPIKey({
      requestBody: { code: code.data.id, codeVerifier: verifier, codeChallengeMethod: 'S256' },
    });
    expect(exchanged.key).toMatch(/^sk-or-v1-/);
    expect(exchanged.userId).toMatch(/^user_/);
  });

  it('raises the SDK error classes for error envelopes', async () => {
    const sdk = client();
    const request = {
      chatRequest: {
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'x' }],
        stream: false as const,
      },
    };
    await expect(sdk.chat.send(request, { headers: { 'X-Simulator-Fault': '429' } })).rejects.toMatchObject({
      statusCode: 429,
    });
    await expect(sdk.chat.send(request, { headers: { 'X-Simulator-Fault': '402' } })).rejects.toMatchObject({
      statusCode: 402,
    });
  });
});
