import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BudgetExceededError,
  CostCapExceededError,
  FallbackOverCapError,
  FilteredError,
  GenerationError,
  InternalServerError,
  moneyFromUsd,
  Tollgate,
  UnpricedCapError,
} from '../src/index.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { chatCompletionsSeen } from './simulator-helpers.ts';

const MODEL = 'openai/gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Summarise the water cycle in two sentences.' }];

let sim: RunningSimulator;
let dir: string;
const opened: Tollgate[] = [];

beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 30 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-library-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((tg) => tg.close()));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: Parameters<typeof Tollgate.open>[0] = {}) {
  const key = createSimulatorKey();
  const tg = await Tollgate.open({
    apiKey: key,
    baseUrl: sim.url,
    db: join(dir, `${Math.random().toString(36).slice(2)}.db`),
    env: {},
    cwd: dir,
    reconcile: false,
    ledger: { heartbeatMs: 0 },
    ...options,
  });
  opened.push(tg);
  return { tg, key };
}

describe('Tollgate.chat', () => {
  it('returns the answer with its exact cost, and its row is committed before it returns', async () => {
    const { tg, key } = await open();
    const result = await tg.chat({
      module: 'summarize',
      user: 'u-42',
      model: MODEL,
      messages,
      tags: { job: 7 },
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.generationId).toMatch(/^gen-/);
    const billed = sim.state.generation(result.generationId ?? '');
    expect(result.cost).toBe(moneyFromUsd(billed?.costExact ?? 'x'));
    expect(result.costUsd).toBe(billed?.costUsd);
    expect(result.costSource).toBe('usage');
    expect(result.attempts).toBe(1);

    const row = await tg.ledger.getRequest(result.id);
    expect(row).toMatchObject({
      status: 'ok',
      module: 'summarize',
      userId: 'u-42',
      modelRequested: MODEL,
      model: MODEL,
      generationId: result.generationId,
      cost: result.cost,
      streamed: false,
      tags: { job: 7 },
    });
    expect(row?.provider).toBeTruthy();
    expect(row?.promptTokens).toBe(result.usage?.prompt_tokens);
    // `user` is passed upstream.
    expect(billed?.data.external_user).toBe('u-42');
    expect(sim.state.account(key)?.totalUsageExact).toBe(billed?.costExact);
  });

  it('applies module profiles, and caps output when nothing sets max_tokens', async () => {
    const { tg } = await open({
      modules: { tiny: { model: 'google/gemini-2.5-flash-lite', temperature: 0 } },
      defaultMaxTokens: 3,
    });
    const result = await tg.chat({ module: 'tiny', messages });
    expect(result.model).toBe('google/gemini-2.5-flash-lite');
    expect(result.finishReason).toBe('length');
    expect(result.truncated).toBe(true);
    expect(result.usage?.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('retries a 429 honouring Retry-After, and keeps one row', async () => {
    const { tg, key } = await open();
    sim.queueFaults(key, ['429']);
    const result = await tg.chat({ model: MODEL, messages, module: 'retry' });
    expect(result).toMatchObject({ attempts: 2, earlierAttemptsMayHaveBilled: false });
    const report = await tg.ledger.reports.recent({ limit: 10 });
    expect(report.filter((row) => row.module === 'retry')).toHaveLength(1);
  });

  it('says when a call answered after a retry had an earlier attempt OpenRouter may have billed', async () => {
    const { tg, key } = await open();
    sim.queueFaults(key, ['reset']);
    expect(await tg.chat({ model: MODEL, messages })).toMatchObject({
      attempts: 2,
      earlierAttemptsMayHaveBilled: true,
    });
    sim.queueFaults(key, ['reset']);
    const stream = tg.stream({ model: MODEL, messages });
    for await (const _ of stream) {
      // drain
    }
    expect(await stream.result).toMatchObject({ attempts: 2, earlierAttemptsMayHaveBilled: true });
  });

  it('records an upstream error with a known zero cost and rethrows it', async () => {
    const { tg, key } = await open({ maxRetries: 0 });
    sim.queueFaults(key, ['500']);
    const error = await tg.chat({ model: MODEL, messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InternalServerError);
    const [row] = await tg.ledger.reports.recent({ limit: 1 });
    expect(row).toMatchObject({ status: 'error', httpStatus: 500, cost: 0n, errorCode: 'internal_server' });
  });

  it('surfaces content_filter and error finish reasons as typed outcomes unless accepted', async () => {
    const { tg, key } = await open();
    sim.queueFaults(key, ['content-filter']);
    const filtered = await tg.chat({ model: MODEL, messages }).catch((caught: unknown) => caught);
    expect(filtered).toBeInstanceOf(FilteredError);
    const filteredRow = await tg.ledger.getRequest((filtered as FilteredError).result.id);
    expect(filteredRow?.status).toBe('filtered');

    sim.queueFaults(key, ['finish-error']);
    const failed = await tg.chat({ model: MODEL, messages }).catch((caught: unknown) => caught);
    expect(failed).toBeInstanceOf(GenerationError);
    expect((await tg.ledger.getRequest((failed as GenerationError).result.id))?.status).toBe('error');

    sim.queueFaults(key, ['content-filter']);
    const accepted = await tg.chat({ model: MODEL, messages, acceptFinishReasons: ['content_filter'] });
    expect(accepted.finishReason).toBe('content_filter');
  });

  it('refuses a call whose prompt alone exceeds its cost cap, before sending it', async () => {
    const { tg } = await open();
    const before = chatCompletionsSeen(sim);
    const error = await tg
      .chat({ model: 'anthropic/claude-sonnet-4.5', messages, maxCostUsd: '0.000000001' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CostCapExceededError);
    expect(chatCompletionsSeen(sim)).toBe(before);
    expect(await tg.ledger.reports.recent({ limit: 5 })).toHaveLength(0);
  });

  it('applies a budget set through its ledger to the very next call', async () => {
    const { tg } = await open();
    await tg.chat({ module: 'late-cap', model: MODEL, messages });
    await tg.ledger.budgets.set({ scope: 'module', scopeValue: 'late-cap', window: 'day', limit: 0n });
    await expect(tg.chat({ module: 'late-cap', model: MODEL, messages })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    const [budget] = await tg.ledger.budgets.list();
    expect(await tg.ledger.budgets.remove(budget?.id ?? '')).toBe(true);
    await tg.chat({ module: 'late-cap', model: MODEL, messages });
  });

  it('makes no call, and writes no row, for a caller who gave up before it was sent', async () => {
    const { tg } = await open();
    const before = chatCompletionsSeen(sim);
    const signal = AbortSignal.abort();
    await expect(tg.chat({ model: MODEL, messages, signal })).rejects.toMatchObject({ name: 'AbortError' });
    const stream = tg.stream({ model: MODEL, messages, signal });
    await expect(stream.result).rejects.toMatchObject({ name: 'AbortError' });
    expect(chatCompletionsSeen(sim)).toBe(before);
    expect(await tg.ledger.reports.recent({ limit: 5 })).toHaveLength(0);
  });

  it('makes no call, and writes no row or reservation, for a per-call option the client refuses', async () => {
    const { tg } = await open();
    await tg.ledger.budgets.set({ scope: 'global', window: 'total', limit: moneyFromUsd('1') });
    const before = chatCompletionsSeen(sim);
    await expect(tg.chat({ model: MODEL, messages, timeoutMs: 0 })).rejects.toMatchObject({
      name: 'ClientConfigError',
      message: expect.stringContaining(
        'timeoutMs (per call) must be a number of milliseconds greater than 0',
      ),
    });
    const stream = tg.stream({ model: MODEL, messages, timeoutMs: Number.NaN });
    await expect(stream.result).rejects.toMatchObject({ name: 'ClientConfigError' });
    expect(chatCompletionsSeen(sim)).toBe(before);
    expect(await tg.ledger.reports.recent({ limit: 5 })).toHaveLength(0);
    expect(await tg.ledger.budgets.holds()).toEqual([]);
  });

  it('records a call that never reached OpenRouter at a known zero, holding nothing against budgets', async () => {
    const { tg } = await open({ baseUrl: 'http://127.0.0.1:1/api/v1', maxRetries: 1 });
    await tg.ledger.budgets.set({
      scope: 'module',
      scopeValue: 'offline',
      window: 'total',
      limit: moneyFromUsd('1'),
    });
    await expect(tg.chat({ module: 'offline', model: MODEL, messages })).rejects.toMatchObject({
      name: 'ConnectionError',
    });
    const [row] = await tg.ledger.reports.recent({ limit: 5 });
    expect(row).toMatchObject({ status: 'error', cost: 0n });
    const [status] = await tg.ledger.budgets.status({ module: 'offline' });
    expect(status).toMatchObject({ spent: 0n, reserved: 0n });
  });

  it("estimates an image call's cost with the model's per-image price, as OpenRouter bills it", async () => {
    const { tg } = await open();
    const result = await tg.chat({
      model: 'openai/gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    });
    const row = await tg.ledger.getRequest(result.id);
    expect(row?.cost).toBeGreaterThan(0n);
    expect(row?.estimatedCost).toBe(row?.cost);
  });

  it('refuses a capped call it cannot price, rather than dropping the cap', async () => {
    const { tg } = await open();
    const before = chatCompletionsSeen(sim);
    const unknown = await tg
      .chat({ model: 'nobody/unknown-model', messages, maxCostUsd: '0.01' })
      .catch((caught: unknown) => caught);
    expect(unknown).toBeInstanceOf(UnpricedCapError);
    expect((unknown as Error).message).toMatch(
      /^Refused before sending: the price of nobody\/unknown-model is not known .*, so this call's cap of \$0\.01 cannot be kept\./,
    );
    const unnamed = await tg.chat({ messages, maxCostUsd: '0.01' }).catch((caught: unknown) => caught);
    expect((unnamed as Error).message).toMatch(/no model is named \(the account default would serve it\)/);
    expect(chatCompletionsSeen(sim)).toBe(before);
    expect(await tg.ledger.reports.recent({ limit: 5 })).toHaveLength(0);
  });

  it('stops spending when a module budget is used up', async () => {
    const { tg } = await open({
      modules: { capped: { model: MODEL, max_tokens: 50, budget: { window: 'day', limitUsd: '0.0001' } } },
    });
    let refused: unknown;
    for (let i = 0; i < 50 && refused === undefined; i++) {
      await tg.chat({ module: 'capped', messages }).catch((caught: unknown) => {
        refused = caught;
      });
    }
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as Error).message).toMatch(/capped/);
    const [group] = (await tg.ledger.reports.spend({ groupBy: ['module'], filters: { module: ['capped'] } }))
      .rows;
    expect(group?.spend ?? 0n).toBeLessThanOrEqual(moneyFromUsd('0.0001'));
  });
});

describe('Tollgate with a models fallback list', () => {
  const CHEAP = 'mistralai/mistral-small-3.2-24b-instruct';
  const DEAR = 'openai/gpt-4o';
  const poem = [{ role: 'user' as const, content: 'Write a poem about the mountains and the sea' }];

  it('reserves the worst case of the dearest model that may serve the call', async () => {
    const { tg } = await open();
    const alone = await tg.worstCase({ model: CHEAP, max_tokens: 300, messages: poem });
    const dear = await tg.worstCase({ model: DEAR, max_tokens: 300, messages: poem });
    const withFallback = await tg.worstCase({
      model: CHEAP,
      models: [DEAR],
      max_tokens: 300,
      messages: poem,
    });
    expect(alone).toBeLessThan(dear ?? 0n);
    expect(withFallback).toBe(dear);
    expect(await tg.worstCase({ model: CHEAP, models: ['nobody/unknown'], messages: poem })).toBeUndefined();
  });

  it('never lets a fallback to a dearer model spend past a budget', async () => {
    const { tg, key } = await open();
    await tg.ledger.budgets.set({
      scope: 'module',
      scopeValue: 'fb',
      window: 'day',
      limit: moneyFromUsd('0.0002'),
    });
    // The primary fails before any work, so OpenRouter would serve the call with gpt-4o.
    sim.queueFaults(key, ['503']);
    const error = await tg
      .chat({ module: 'fb', model: CHEAP, models: [DEAR], max_tokens: 300, messages: poem })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const [status] = await tg.ledger.budgets.status({ module: 'fb' });
    expect(status?.spent).toBe(0n);
  });

  it('refuses a capped call whose fallback could cost more than the cap, naming it', async () => {
    const { tg } = await open();
    const error = await tg
      .chat({ model: CHEAP, models: [DEAR], messages: poem, maxCostUsd: '0.0001' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FallbackOverCapError);
    expect((error as Error).message).toMatch(
      /^Refused before sending: the fallback model openai\/gpt-4o could cost up to \$[0-9.]+, over this call's cap of \$0\.0001\. Lower max_tokens, drop openai\/gpt-4o from "models", or raise maxCostUsd\.$/,
    );
    // A fallback whose worst case fits goes through.
    const fits = await tg.chat({
      model: CHEAP,
      models: [DEAR],
      messages: poem,
      max_tokens: 5,
      maxCostUsd: '0.01',
    });
    expect(fits.cost).toBeGreaterThan(0n);
  });
});

describe('Tollgate.stream', () => {
  it('yields parts as they arrive and resolves the result with usage and cost', async () => {
    const { tg } = await open();
    const stream = tg.stream({ module: 'chat', model: MODEL, messages });
    let text = '';
    for await (const part of stream) if (part.type === 'text') text += part.text;
    const result = await stream.result;
    expect(text).toBe(result.text);
    expect(result.cost).toBe(moneyFromUsd(sim.state.generation(result.generationId ?? '')?.costExact ?? 'x'));
    expect(await tg.ledger.getRequest(result.id)).toMatchObject({
      status: 'ok',
      streamed: true,
      cost: result.cost,
    });
  });

  it('records the row cancelled when the caller stops reading', async () => {
    const { tg, key } = await open();
    sim.queueFaults(key, [{ name: 'slow-stream', ms: 20 }]);
    const stream = tg.stream({ module: 'chat', model: MODEL, messages, max_tokens: 400 });
    for await (const part of stream) {
      if (part.type === 'text') break;
    }
    await expect(stream.result).rejects.toThrow();
    const [row] = await tg.ledger.reports.recent({ limit: 1 });
    expect(row?.status).toBe('cancelled');
    expect(row?.generationId).toMatch(/^gen-/);
  });
});

describe('Tollgate.json', () => {
  it('returns data parsed and validated by the zod schema', async () => {
    const { tg } = await open();
    const Invoice = z.object({
      number: z.string(),
      total: z.number(),
      lines: z.array(z.object({ item: z.string(), qty: z.number().int().min(1) })).min(1),
      currency: z.enum(['EUR', 'USD']),
    });
    const invoice = await tg.json({ module: 'extract', model: MODEL, messages, schema: Invoice });
    expect(Invoice.parse(invoice.data)).toEqual(invoice.data);
    expect(['EUR', 'USD']).toContain(invoice.data.currency);
    expect(invoice.cost).not.toBeNull();
  });
});

describe('Tollgate.balance', () => {
  it('reads the key and the credits', async () => {
    const { tg } = await open();
    await tg.chat({ model: MODEL, messages });
    const balance = await tg.balance();
    expect(balance.credits?.total).toBe(moneyFromUsd(100));
    expect(balance.credits?.used).toBeGreaterThan(0n);
    expect(balance.remaining).toBe(balance.credits?.remaining);
  });
});
