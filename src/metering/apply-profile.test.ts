import { describe, expect, it } from 'vitest';
import { applyModuleProfile } from './apply-profile.ts';

const messages = [{ role: 'user', content: 'hi' }];

describe('applyModuleProfile', () => {
  it('fills what the request leaves out, and the request wins', () => {
    const { request } = applyModuleProfile(
      { messages, temperature: 0.9 },
      { model: 'a/b', models: ['c/d'], temperature: 0.1, max_tokens: 300, seed: 7 },
      4096,
    );
    expect(request).toEqual({
      messages,
      model: 'a/b',
      models: ['c/d'],
      temperature: 0.9,
      max_tokens: 300,
      seed: 7,
    });
  });

  it('merges provider and reasoning key by key', () => {
    const { request } = applyModuleProfile(
      { messages, model: 'x/y', provider: { sort: 'price' }, reasoning: { exclude: true } },
      { provider: { order: ['google'], sort: 'latency' }, reasoning: { effort: 'low' } },
      100,
    );
    expect(request).toMatchObject({
      provider: { order: ['google'], sort: 'price' },
      reasoning: { effort: 'low', exclude: true },
    });
  });

  it('caps a call that sets no max_tokens, and says so', () => {
    expect(applyModuleProfile({ messages, model: 'x/y' }, undefined, 512)).toMatchObject({
      request: { max_tokens: 512 },
      cappedByDefault: true,
    });
    const own = applyModuleProfile({ messages, max_completion_tokens: 9 }, undefined, 512);
    expect(own.request).not.toHaveProperty('max_tokens');
    expect(own.cappedByDefault).toBe(false);
  });

  it('never sends tollgate-only profile fields upstream, but exposes the cost cap', () => {
    const result = applyModuleProfile(
      { messages, model: 'x/y' },
      { maxCostUsd: '0.5', budget: { window: 'day', limitUsd: '3' } },
      10,
    );
    expect(result.request).not.toHaveProperty('maxCostUsd');
    expect(result.request).not.toHaveProperty('budget');
    expect(result.maxCostUsd).toBe('0.5');
    expect(applyModuleProfile({ messages }, { maxCostUsd: '0.5' }, 10, '0.1').maxCostUsd).toBe('0.1');
  });
});
