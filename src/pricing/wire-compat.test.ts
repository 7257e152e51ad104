import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ChatCompletionRequest,
  ChatCompletionSchema,
  type ChatUsage,
  type Model,
  ModelSchema,
  type PublicEndpoint,
} from '../shared/wire/index.ts';
import { computeCost } from './compute-cost.ts';
import { costFromUsage } from './cost-from-usage.ts';
import { type ChatRequestLike, estimatePromptTokens } from './estimate-prompt.ts';
import type { EndpointInfo, ModelInfo } from './model-info.ts';
import { parsePricing } from './pricing-schema.ts';
import { normalizeTokens, type UsageLike } from './usage.ts';

// The shared wire types feed pricing's structural types unchanged (checked by tsc).
const typeChecks = {
  model: (model: Model): ModelInfo => model,
  endpoint: (endpoint: PublicEndpoint): EndpointInfo => endpoint,
  usage: (usage: ChatUsage): UsageLike => usage,
  request: (request: ChatCompletionRequest): ChatRequestLike => request,
};

const FIXTURES = new URL('../shared/fixtures/', new URL('../../', import.meta.url));

describe('pricing over the shared wire schemas', () => {
  it('accepts the wire types structurally (a tsc check)', () => {
    expect(Object.keys(typeChecks)).toHaveLength(4);
  });

  it('prices the fixture parsed by ChatCompletionSchema', () => {
    const raw: unknown = JSON.parse(
      readFileSync(new URL('chat-completion-gemini-flash.json', FIXTURES), 'utf8'),
    );
    const completion = ChatCompletionSchema.parse(raw);
    const usage = completion.usage;
    if (!usage) throw new Error('fixture has usage');
    expect(normalizeTokens(usage).reasoningTokens).toBe(356);
    const billed = costFromUsage(usage);
    const estimate = computeCost(usage, parsePricing({ prompt: '0.0000003', completion: '0.0000025' }), {
      at: new Date(completion.created * 1000),
      finishReason: completion.choices[0]?.finish_reason ?? null,
    });
    expect(billed.known && billed.cost).toBe(estimate.total);
  });

  it('reads pricing the wire schema accepted, nulls included', () => {
    const model = ModelSchema.parse({
      id: 'x/y',
      name: 'X: Y',
      pricing: {
        prompt: '0.000001',
        completion: '0.000002',
        discount: null,
        overrides: [{ min_prompt_tokens: null, utc_start: 100, utc_end: 400, prompt: '0.0000005' }],
      },
    });
    const pricing = parsePricing(model.pricing, model.id);
    expect(pricing.overrides?.[0]).toMatchObject({ utc_start: 100, prompt: '0.0000005' });
    expect(pricing.overrides?.[0]?.min_prompt_tokens).toBeUndefined();
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: 'hi' }] })).toBeGreaterThan(0);
  });
});
