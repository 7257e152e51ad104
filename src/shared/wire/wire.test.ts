import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ChatCompletionChunkSchema,
  type ChatCompletionCreateParams,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
  CreateKeyResponseSchema,
  ErrorEnvelopeSchema,
  GenerationResponseSchema,
  KeyInfoSchema,
  ModelEndpointsSchema,
  ModelListSchema,
  type OmitField,
  PricingSchema,
} from './index.ts';

// The CI checkout has shared/ beside the repository, as here.
const REPO_ROOT = new URL('../../../', import.meta.url);
const FIXTURES = new URL('../shared/fixtures/', REPO_ROOT);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

describe('fixtures parse unchanged', () => {
  it('chat completion (gemini flash)', () => {
    const raw = fixture('chat-completion-gemini-flash.json');
    const parsed = ChatCompletionSchema.parse(raw);
    expect(parsed).toEqual(raw);
    expect(parsed.usage?.cost).toBe(0.0009056);
    expect(parsed.choices[0]?.native_finish_reason).toBe('STOP');
  });

  it("a completion with null where a field may be absent (usage, a choice's error) is still a completion", () => {
    const raw = fixture('chat-completion-gemini-flash.json') as Record<string, unknown> & {
      choices: Record<string, unknown>[];
    };
    const nulled = {
      ...raw,
      usage: null,
      choices: raw.choices.map((choice) => ({ ...choice, error: null })),
    };
    expect(ChatCompletionSchema.parse(nulled)).toEqual(nulled);
  });

  it('generation with provider retry', () => {
    const raw = fixture('generation-with-provider-retry.json');
    const parsed = GenerationResponseSchema.parse(raw);
    expect(parsed).toEqual(raw);
    expect(parsed.data.provider_responses?.map((r) => r.status)).toEqual([429, 200]);
  });

  it('older streamed generation shape', () => {
    const raw = fixture('generation-streamed-openai.json');
    const parsed = GenerationResponseSchema.parse(raw);
    expect(parsed).toEqual(raw);
    expect(parsed.data.usage).toBe(0.0001525);
    expect(parsed.data.streamed).toBe(true);
  });
});

describe('stream chunks', () => {
  const base = { id: 'gen-1', provider: 'OpenAI', model: 'openai/gpt-4o', object: 'chat.completion.chunk' };
  const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cost: 0.0001 };

  it('accepts the three usage-frame variants', () => {
    for (const choices of [
      [],
      [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }],
      [{ index: 0, delta: { content: '' }, finish_reason: null }],
    ]) {
      expect(ChatCompletionChunkSchema.parse({ ...base, created: 1, choices, usage }).usage?.cost).toBe(
        0.0001,
      );
    }
  });

  it('accepts a mid-stream error with a numeric or string code', () => {
    for (const code of [429, 'server_error']) {
      const chunk = ChatCompletionChunkSchema.parse({
        ...base,
        error: { code, message: 'Rate limit exceeded', metadata: { error_type: 'rate_limit_exceeded' } },
        choices: [
          { index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' },
        ],
      });
      expect(chunk.error?.code).toBe(code);
    }
  });

  it('accepts tool-call fragments and nullable usage details', () => {
    const chunk = ChatCompletionChunkSchema.parse({
      ...base,
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f' } }] },
          finish_reason: null,
        },
      ],
      usage: { ...usage, prompt_tokens_details: null, completion_tokens_details: null, cost_details: null },
    });
    expect(chunk.choices?.[0]?.delta?.tool_calls?.[0]?.id).toBe('call_1');
  });
});

describe('errors, pricing, models, keys', () => {
  it('error envelope with metadata and extra fields', () => {
    const raw = {
      error: { code: 402, message: 'Insufficient credits', metadata: { limit_source: 'openrouter_credits' } },
      user_id: 'user_1',
      extra: true,
    };
    expect(ErrorEnvelopeSchema.parse(raw)).toEqual(raw);
  });

  it('pricing with overrides and a numeric discount; numeric prices become decimal strings', () => {
    const parsed = PricingSchema.parse({
      prompt: '0.00000075',
      completion: 0.00000375,
      web_search: '0.014',
      discount: 0.1,
      overrides: [{ min_prompt_tokens: 200000, prompt: '0.0000015', utc_weird: 1 }],
    });
    expect(parsed.completion).toBe('0.00000375');
    expect(parsed.discount).toBe(0.1);
    expect(parsed.overrides?.[0]).toEqual({ min_prompt_tokens: 200000, prompt: '0.0000015', utc_weird: 1 });
  });

  it('model list and endpoints', () => {
    const model = {
      id: 'openai/gpt-4o',
      canonical_slug: 'openai/gpt-4o-2024',
      name: 'OpenAI: GPT-4o',
      created: 1,
      context_length: null,
      architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'] },
      pricing: { prompt: '0.0000025', completion: '0.00001' },
      top_provider: { is_moderated: true },
      per_request_limits: null,
      supported_parameters: ['tools'],
      default_parameters: {},
      links: { details: '/api/v1/models/openai/gpt-4o/endpoints' },
    };
    expect(ModelListSchema.parse({ data: [model], links: { next: null } }).data[0]).toEqual(model);
    const endpoints = ModelEndpointsSchema.parse({
      data: {
        id: 'openai/gpt-4o',
        endpoints: [{ name: 'OpenAI', pricing: model.pricing, latency_last_30m: null, status: 0 }],
      },
    });
    expect(endpoints.data.endpoints).toHaveLength(1);
  });

  it('key info and key creation', () => {
    expect(
      KeyInfoSchema.parse({ data: { label: 'sk-or-v1-abc...123', limit: null, usage: 1 } }).data.limit,
    ).toBe(null);
    expect(CreateKeyResponseSchema.parse({ data: { hash: 'h' }, key: 'sk-or-v1-x' }).key).toBe('sk-or-v1-x');
  });
});

describe('chat request', () => {
  it('accepts every documented field and keeps unknown ones', () => {
    const request = {
      model: 'openai/gpt-4o',
      models: ['anthropic/claude-sonnet-4'],
      messages: [
        {
          role: 'system',
          content: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'high' } },
            { type: 'file', file: { filename: 'a.pdf', file_data: 'https://x/a.pdf' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            { type: 'video_url', video_url: { url: 'https://x/v.mp4' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
      ],
      tools: [
        { type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } },
        { type: 'openrouter:web_search' },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {}, strict: true } },
      temperature: 0.3,
      top_k: 0,
      stop: ['END'],
      reasoning: { effort: 'low', exclude: false, enabled: true, summary: 'auto' },
      include_reasoning: true,
      user: 'u-42',
      provider: {
        order: ['openai'],
        sort: { by: 'price', partition: 'none' },
        max_price: { prompt: 1, completion: '2' },
        quantizations: ['fp8'],
      },
      plugins: [
        { id: 'web', max_results: 3 },
        { id: 'file-parser', pdf: { engine: 'native' } },
      ],
      session_id: 's1',
      metadata: { stage: 'summarize' },
      stream: true,
      stream_options: { include_usage: true },
      some_future_parameter: { x: 1 },
    };
    expect(ChatCompletionRequestSchema.parse(request)).toEqual(request);
  });

  it('keeps known fields strictly typed despite the open index signature (checked by tsc)', () => {
    // @ts-expect-error messages must be an array of messages
    const wrongMessages: ChatCompletionCreateParams = { messages: 'nope' };
    // @ts-expect-error temperature is a number
    const wrongTemperature: ChatCompletionCreateParams = { messages: [], temperature: 'hot' };
    const future: ChatCompletionCreateParams = { messages: [], some_future_parameter: true };
    // @ts-expect-error OmitField keeps the known fields typed
    const omitted: OmitField<ChatCompletionCreateParams, 'tools'> = { messages: 1 };
    expect([wrongMessages, wrongTemperature, future, omitted]).toHaveLength(4);
  });

  it('rejects a request without messages', () => {
    expect(ChatCompletionRequestSchema.safeParse({ model: 'x' }).success).toBe(false);
  });
});
