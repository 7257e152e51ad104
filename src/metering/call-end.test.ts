import { describe, expect, it } from 'vitest';
import { BadRequestError, ClientConfigError, ConnectionError } from '../client/index.ts';
import { moneyFromUsd } from '../shared/money.ts';
import { failureOf, outcomeOf } from './call-end.ts';

const pricing = { prompt: '0.0000003', completion: '0.0000025' };
const at = new Date('2026-11-21T12:00:00Z');
const usage = {
  prompt_tokens: 2,
  completion_tokens: 362,
  completion_tokens_details: { reasoning_tokens: 356 },
  prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
};

describe('outcomeOf', () => {
  it('takes the billed usage.cost, keeping the catalogue estimate beside it', () => {
    const outcome = outcomeOf(
      { usage: { ...usage, cost: 0.0009056 }, finishReason: 'stop' },
      { pricing, at },
    );
    expect(outcome).toMatchObject({ status: 'ok', cost: moneyFromUsd('0.0009056'), costSource: 'usage' });
    expect(outcome.estimatedCost).toBe(moneyFromUsd('0.0009056'));
    expect(outcome.usage).toMatchObject({ promptTokens: 2, completionTokens: 362, reasoningTokens: 356 });
  });

  it('falls back to the estimate when usage has no cost, and says so', () => {
    const outcome = outcomeOf({ usage, finishReason: 'stop' }, { pricing, at });
    expect(outcome).toMatchObject({ cost: moneyFromUsd('0.0009056'), costSource: 'estimate' });
  });

  it("leaves reasoning tokens unknown when a usage with output does not count them (Anthropic's)", () => {
    const { completion_tokens_details: _, ...silent } = usage;
    expect(outcomeOf({ usage: silent }, { pricing, at }).usage?.reasoningTokens).toBeNull();
    expect(outcomeOf({ usage }, { pricing, at }).usage?.reasoningTokens).toBe(356);
    // No output, no reasoning (embeddings).
    const embeddings = { prompt_tokens: 8, completion_tokens: 0 };
    expect(outcomeOf({ usage: embeddings }, { pricing, at }).usage?.reasoningTokens).toBe(0);
  });

  it("leaves BYOK unknown when the usage does not say (Anthropic's Messages usage)", () => {
    expect(outcomeOf({ usage, finishReason: 'stop' }, { pricing, at }).isByok).toBeNull();
    expect(outcomeOf({ usage: { ...usage, is_byok: false } }, { pricing, at }).isByok).toBe(false);
    expect(outcomeOf({ usage: { ...usage, is_byok: true, cost: 0 } }, { pricing, at }).isByok).toBe(true);
  });

  it('never stores an unknown cost as zero', () => {
    const broken = outcomeOf({ failure: failureOf(new ConnectionError('reset', {})) }, { pricing, at });
    expect(broken).toMatchObject({
      status: 'error',
      cost: null,
      costSource: null,
      errorCode: 'connection_error',
    });
    const unpriced = outcomeOf({ usage, finishReason: 'stop' }, { pricing: undefined, at });
    expect(unpriced.cost).toBeNull();
  });

  it('records a call the client refused unsent (a bad per-call option) as costing nothing', () => {
    const refused = failureOf(new ClientConfigError('timeoutMs (per call) must be …'));
    expect(refused).toMatchObject({ code: 'client_config', billed: 'no' });
    expect(outcomeOf({ failure: refused }, { pricing, at })).toMatchObject({ cost: 0n, costSource: 'usage' });
  });

  it('records an error response OpenRouter sent before doing work as costing nothing', () => {
    const error = new BadRequestError({
      status: 400,
      httpStatus: 400,
      message: 'bad',
      openRouterCode: 400,
      metadata: undefined,
      headers: {},
      generationId: undefined,
      requestId: undefined,
      userId: undefined,
    });
    expect(outcomeOf({ failure: failureOf(error), httpStatus: 400 }, { pricing, at })).toMatchObject({
      status: 'error',
      cost: 0n,
      httpStatus: 400,
      errorCode: 'bad_request',
    });
  });

  it('maps finish reasons and cancellation to statuses', () => {
    expect(outcomeOf({ finishReason: 'content_filter' }, { pricing, at }).status).toBe('filtered');
    expect(outcomeOf({ finishReason: 'error' }, { pricing, at }).status).toBe('error');
    expect(outcomeOf({ finishReason: 'length' }, { pricing, at }).status).toBe('ok');
    expect(outcomeOf({ cancelled: true, usage }, { pricing, at }).status).toBe('cancelled');
  });
});
