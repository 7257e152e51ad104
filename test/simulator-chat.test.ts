import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import {
  at,
  type Completion,
  call,
  chat,
  choiceOf,
  chunksOf,
  contentOf,
  type ErrorBody,
  exactSum,
  json,
  parseSse,
  priceTimes,
  units,
} from './simulator-helpers.ts';

interface Embeddings {
  object: string;
  model: string;
  data: { embedding: number[] | string }[];
  usage: { prompt_tokens: number; cost: number };
}

const fixture = JSON.parse(
  readFileSync(new URL('../../shared/fixtures/chat-completion-gemini-flash.json', import.meta.url), 'utf8'),
) as Completion;
type JsonSchema = Parameters<typeof z.fromJSONSchema>[0];

const keysOf = (value: object) => Object.keys(value);

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
});
afterAll(() => sim.close());

describe('non-streamed chat completions', () => {
  it('returns every field of the real payload, with X-Generation-Id and a gen- id', async () => {
    const res = await chat(sim, { model: 'google/gemini-2.5-flash' });
    expect(res.status).toBe(200);
    const body = await json<Completion>(res);
    expect(res.headers.get('x-generation-id')).toBe(body.id);
    expect(body.id).toMatch(/^gen-\d{10}-[A-Za-z0-9]{20}$/);
    for (const key of keysOf(fixture)) expect(body, key).toHaveProperty(key);
    expect(body).toHaveProperty('system_fingerprint');
    const fixtureChoice = choiceOf(fixture);
    for (const key of keysOf(fixtureChoice)) expect(choiceOf(body)).toHaveProperty(key);
    for (const key of keysOf(fixtureChoice.message)) expect(choiceOf(body).message).toHaveProperty(key);
    for (const key of keysOf(fixture.usage)) expect(body.usage).toHaveProperty(key);
    for (const key of keysOf(fixture.usage.prompt_tokens_details))
      expect(body.usage.prompt_tokens_details).toHaveProperty(key);
    for (const key of keysOf(fixture.usage.cost_details)) expect(body.usage.cost_details).toHaveProperty(key);
    for (const key of keysOf(fixture.usage.completion_tokens_details)) {
      expect(body.usage.completion_tokens_details).toHaveProperty(key);
    }
    expect(body).toMatchObject({
      provider: 'Google',
      model: 'google/gemini-2.5-flash',
      object: 'chat.completion',
    });
    expect(choiceOf(body)).toMatchObject({
      index: 0,
      logprobs: null,
      finish_reason: 'stop',
      native_finish_reason: 'STOP',
    });
    const u = body.usage;
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    const parts = [
      u.cost_details.upstream_inference_prompt_cost,
      u.cost_details.upstream_inference_completions_cost,
    ];
    expect(u.cost).toBe(Number(exactSum(parts)));
    expect(u.is_byok).toBe(false);
  });

  it('answers the same request with the same text, and a different one differently', async () => {
    const ask = async (content: string) =>
      contentOf(await json<Completion>(await chat(sim, { messages: [{ role: 'user', content }] })));
    expect(await ask('What is tollgate?')).toBe(await ask('What is tollgate?'));
    expect(await ask('What is tollgate?')).not.toBe(await ask('What is a simulator?'));
  });

  it('respects max_tokens with finish_reason length', async () => {
    const body = await json<Completion>(await chat(sim, { max_tokens: 3 }));
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(3);
    expect(choiceOf(body).finish_reason).toBe('length');
  });

  it('reasons by default on reasoning models, shows it unless excluded, and bills it', async () => {
    const reasoning = (body: Completion) => body.usage.completion_tokens_details.reasoning_tokens;
    const shown = await json<Completion>(await chat(sim, { model: 'openai/gpt-5-mini' }));
    expect(reasoning(shown)).toBeGreaterThan(0);
    expect(typeof choiceOf(shown).message.reasoning).toBe('string');
    expect(at(choiceOf(shown).message.reasoning_details).type).toBe('reasoning.text');
    const hidden = await json<Completion>(
      await chat(sim, { model: 'openai/gpt-5-mini', reasoning: { exclude: true } }),
    );
    expect(choiceOf(hidden).message.reasoning).toBeNull();
    expect(reasoning(hidden)).toBeGreaterThan(0);
    expect(reasoning(await json<Completion>(await chat(sim, { reasoning: { effort: 'high' } })))).toBe(0);
    expect(reasoning(await json<Completion>(await chat(sim, { model: 'anthropic/claude-haiku-4.5' })))).toBe(
      0,
    );
    const asked = await json<Completion>(
      await chat(sim, { model: 'anthropic/claude-haiku-4.5', include_reasoning: true }),
    );
    expect(reasoning(asked)).toBeGreaterThan(0);
    const capped = await json<Completion>(
      await chat(sim, { model: 'anthropic/claude-haiku-4.5', reasoning: { max_tokens: 10 } }),
    );
    expect(reasoning(capped)).toBe(10);
    const starved = await json<Completion>(await chat(sim, { model: 'openai/gpt-5-mini', max_tokens: 5 }));
    expect(choiceOf(starved)).toMatchObject({ finish_reason: 'length', message: { content: '' } });
    expect(starved.usage.completion_tokens).toBe(5);
  });

  it('writes JSON that satisfies response_format json_schema, and JSON in json_object mode', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 3 },
        rating: { type: 'integer', minimum: 1, maximum: 5 },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 1 },
        reviewer: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
      },
      required: ['title', 'rating', 'tags', 'reviewer'],
      additionalProperties: false,
    };
    const response_format = { type: 'json_schema', json_schema: { name: 'review', strict: true, schema } };
    const body = await json<Completion>(await chat(sim, { response_format }));
    const parsed: unknown = JSON.parse(contentOf(body));
    expect(z.fromJSONSchema(schema as JsonSchema).safeParse(parsed).success).toBe(true);
    const object = await json<Completion>(await chat(sim, { response_format: { type: 'json_object' } }));
    expect(typeof JSON.parse(contentOf(object))).toBe('object');
  });

  const weatherParameters = {
    type: 'object',
    properties: {
      city: { type: 'string' },
      unit: { type: 'string', enum: ['c', 'f'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
    },
    required: ['city', 'unit'],
    additionalProperties: false,
  };
  const weather = { type: 'function', function: { name: 'get_weather', parameters: weatherParameters } };
  const time = {
    type: 'function',
    function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } },
  };

  it('calls tools with arguments valid against their schema, and answers in words after a tool result', async () => {
    const body = await json<Completion>(
      await chat(sim, { tools: [weather, time], messages: [{ role: 'user', content: 'Weather in Oslo?' }] }),
    );
    const choice = choiceOf(body);
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const toolCall = at(choice.message.tool_calls);
    expect(toolCall).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(toolCall.id).toMatch(/^call_/);
    expect(
      z.fromJSONSchema(weatherParameters as JsonSchema).safeParse(JSON.parse(toolCall.function.arguments))
        .success,
    ).toBe(true);

    const tool_choice = { type: 'function', function: { name: 'get_time' } };
    const named = await json<Completion>(await chat(sim, { tools: [weather, time], tool_choice }));
    expect(at(choiceOf(named).message.tool_calls).function.name).toBe('get_time');
    const none = await json<Completion>(await chat(sim, { tools: [weather], tool_choice: 'none' }));
    expect(choiceOf(none).finish_reason).toBe('stop');
    expect(typeof choiceOf(none).message.content).toBe('string');

    const messages = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [toolCall] },
      { role: 'tool', tool_call_id: toolCall.id, content: '{"temp": 3}' },
    ];
    const after = await json<Completion>(await chat(sim, { tools: [weather], messages }));
    expect(choiceOf(after).finish_reason).toBe('stop');
    expect(contentOf(after)).toMatch(/tool result/);
  });

  it('refuses embedding models and prompts longer than the context window', async () => {
    expect((await chat(sim, { model: 'openai/text-embedding-3-small' })).status).toBe(400);
    const content = 'y'.repeat(4 * 200_001);
    const tooLong = await chat(sim, {
      model: 'anthropic/claude-haiku-4.5',
      messages: [{ role: 'user', content }],
    });
    expect(tooLong.status).toBe(400);
    expect((await json<ErrorBody>(tooLong)).error.metadata.error_type).toBe('context_length_exceeded');
  });
});

describe('legacy completions and embeddings', () => {
  it('serves POST /completions as JSON and as a stream', async () => {
    const request = { model: 'openai/gpt-4o-mini', prompt: 'Once upon a time' };
    const res = await call(sim, '/completions', { body: request });
    const body = await json<Completion>(res);
    expect(body.object).toBe('text_completion');
    expect(typeof choiceOf(body).text).toBe('string');
    expect(body.usage.cost).toBeGreaterThan(0);
    expect(res.headers.get('x-generation-id')).toBe(body.id);
    const stream = parseSse(
      await (await call(sim, '/completions', { body: { ...request, stream: true } })).text(),
    );
    expect(stream.done).toBe(true);
    expect(
      chunksOf(stream)
        .map((c) => at(c.choices).text ?? '')
        .join(''),
    ).toBe(choiceOf(body).text);
  });

  it('embeds deterministically and bills input tokens', async () => {
    const body = await json<Embeddings>(
      await call(sim, '/embeddings', {
        body: { model: 'openai/text-embedding-3-small', input: ['hello', 'world'] },
      }),
    );
    expect(body).toMatchObject({ object: 'list', model: 'openai/text-embedding-3-small' });
    expect(body.data).toHaveLength(2);
    const vector = at(body.data).embedding;
    if (typeof vector === 'string') throw new Error('expected floats');
    expect(vector).toHaveLength(1536);
    expect(Math.sqrt(vector.reduce((n, v) => n + v * v, 0))).toBeCloseTo(1, 3);
    expect(units(body.usage.cost)).toBe(priceTimes('0.00000002', body.usage.prompt_tokens));
    const small = {
      model: 'openai/text-embedding-3-small',
      input: 'hello',
      dimensions: 8,
      encoding_format: 'base64',
    };
    const encoded = at(
      (await json<Embeddings>(await call(sim, '/embeddings', { body: small }))).data,
    ).embedding;
    expect(typeof encoded).toBe('string');
    expect(Buffer.from(String(encoded), 'base64').length).toBe(32);
    expect(
      (await call(sim, '/embeddings', { body: { model: 'openai/gpt-4o-mini', input: 'x' } })).status,
    ).toBe(400);
  });
});
