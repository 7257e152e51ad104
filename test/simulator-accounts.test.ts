import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import {
  type Completion,
  call,
  chat,
  type Data,
  type ErrorBody,
  exactSum,
  type Generation,
  json,
  manualClock,
} from './simulator-helpers.ts';

interface KeyData {
  hash: string;
  name: string;
  label: string;
  disabled: boolean;
  limit: number | null;
  limit_remaining: number | null;
  limit_reset: string | null;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  byok_usage: number;
  is_management_key?: boolean;
}
interface Created {
  data: KeyData;
  key: string;
}

describe('lenient keys, limits, credits and BYOK', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ generationLagMs: 0 });
  });
  afterAll(() => sim.close());

  it('treats every new bearer key as its own account with the starting credit', async () => {
    await chat(sim, {}, { key: 'lenient-a' });
    const a = await json<Data<{ total_credits: number; total_usage: number }>>(
      await call(sim, '/credits', { key: 'lenient-a' }),
    );
    const b = await json<Data<{ total_credits: number; total_usage: number }>>(
      await call(sim, '/credits', { key: 'lenient-b' }),
    );
    expect(a.data.total_usage).toBeGreaterThan(0);
    expect(b.data).toEqual({ total_credits: 100, total_usage: 0 });
    // Management routes answer for an ordinary key in lenient mode, and its keys bill its account.
    const created = await json<Created>(
      await call(sim, '/keys', { key: 'lenient-b', body: { name: 'child' } }),
    );
    const body = await json<Completion>(await chat(sim, {}, { key: created.key }));
    const after = await json<Data<{ total_usage: number }>>(
      await call(sim, '/credits', { key: 'lenient-b' }),
    );
    expect(after.data.total_usage).toBe(body.usage.cost);
    // A deleted key stays dead instead of becoming a new account.
    await call(sim, `/keys/${created.data.hash}`, { key: 'lenient-b', method: 'DELETE' });
    expect((await chat(sim, {}, { key: created.key })).status).toBe(401);
  });

  it('refuses with 402 openrouter_key_limit once a key limit is spent, limit_remaining shrinking by each cost', async () => {
    const created = await json<Created>(
      await call(sim, '/keys', { key: 'limit-owner', body: { name: 'capped', limit: 0.00005 } }),
    );
    const costs: number[] = [];
    let status = 200;
    while (status === 200 && costs.length < 50) {
      const res = await chat(sim, { model: 'openai/gpt-4o' }, { key: created.key });
      status = res.status;
      if (status === 200) {
        costs.push((await json<Completion>(res)).usage.cost);
        const info = await json<Data<KeyData>>(await call(sim, '/key', { key: created.key }));
        expect(exactSum([info.data.limit_remaining ?? Number.NaN, ...costs])).toBe('0.00005');
      } else {
        const body = await json<ErrorBody>(res);
        expect(body.error.metadata).toMatchObject({
          error_type: 'payment_required',
          limit_source: 'openrouter_key_limit',
        });
      }
    }
    expect(status).toBe(402);
    expect(costs.length).toBeGreaterThan(0);
  });

  it('refuses with 402 openrouter_credits once credits are exhausted', async () => {
    const tight = await startSimulator({ credits: 0.00002 });
    try {
      let status = 200;
      for (let i = 0; i < 20 && status === 200; i++) status = (await chat(tight, {}, { key: 'poor' })).status;
      expect(status).toBe(402);
      const body = await json<ErrorBody>(await chat(tight, {}, { key: 'poor' }));
      expect(body.error.metadata.limit_source).toBe('openrouter_credits');
      tight.setCredits('poor', 10);
      expect((await chat(tight, {}, { key: 'poor' })).status).toBe(200);
    } finally {
      await tight.close();
    }
  });

  it('charges BYOK keys a 5% fee and reports the full price as upstream cost', async () => {
    const byokKey = createSimulatorKey({ byok: true });
    const normal = await json<Completion>(await chat(sim, {}, { key: 'plain-compare' }));
    const byok = await json<Completion>(await chat(sim, {}, { key: byokKey }));
    expect(byok.usage.is_byok).toBe(true);
    expect(byok.usage.cost_details.upstream_inference_cost).toBe(normal.usage.cost);
    expect(exactSum(Array.from({ length: 20 }, () => byok.usage.cost))).toBe(exactSum([normal.usage.cost]));
    const key = await json<Data<KeyData>>(await call(sim, '/key', { key: byokKey }));
    expect(key.data.usage).toBe(byok.usage.cost);
    expect(key.data.byok_usage).toBe(normal.usage.cost);
    const generation = (
      await json<Data<Generation>>(await call(sim, `/generation?id=${byok.id}`, { key: byokKey }))
    ).data;
    expect(generation).toMatchObject({
      is_byok: true,
      total_cost: byok.usage.cost,
      upstream_inference_cost: normal.usage.cost,
    });
    const created = await json<Created>(
      await call(sim, '/keys', { key: 'byok-owner', body: { name: 'byok', byok: true } }),
    );
    expect((await json<Completion>(await chat(sim, {}, { key: created.key }))).usage.is_byok).toBe(true);
    expect(
      (await json<Completion>(await chat(sim, {}, { key: sim.issueKey({ byok: true }) }))).usage.is_byok,
    ).toBe(true);
  });
});

describe('time: generation lag and usage periods', () => {
  it('answers /generation 404 until generationLagMs after completion, then the full record', async () => {
    const clock = manualClock();
    const sim = await startSimulator({ clock, generationLagMs: 800 });
    try {
      const body = await json<Completion>(await chat(sim, {}, { key: 'lag-key' }));
      const path = `/generation?id=${body.id}`;
      expect((await call(sim, path, { key: 'lag-key' })).status).toBe(404);
      clock.advance(799);
      expect((await call(sim, path, { key: 'lag-key' })).status).toBe(404);
      clock.advance(1);
      const res = await call(sim, path, { key: 'lag-key' });
      expect(res.status).toBe(200);
      const generation = (await json<Data<Generation>>(res)).data;
      expect(generation).toMatchObject({
        id: body.id,
        total_cost: body.usage.cost,
        usage: body.usage.cost,
        model: 'openai/gpt-4o-mini',
        provider_name: 'OpenAI',
        streamed: false,
        cancelled: false,
        finish_reason: 'stop',
        tokens_prompt: body.usage.prompt_tokens,
        tokens_completion: body.usage.completion_tokens,
        api_type: 'completions',
        data_region: 'global',
      });
      for (const field of [
        'upstream_id',
        'created_at',
        'latency',
        'generation_time',
        'native_tokens_cached',
        'provider_responses',
        'origin',
      ]) {
        expect(generation).toHaveProperty(field);
      }
      expect(String(generation.created_at)).toMatch(/\+00:00$/);
      // Someone else's generation looks unknown.
      expect((await call(sim, path, { key: 'other-key' })).status).toBe(404);
      expect((await call(sim, '/generation', { key: 'lag-key' })).status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it('rolls usage_daily/weekly/monthly and daily key limits over at UTC boundaries', async () => {
    const clock = manualClock(Date.UTC(2026, 2, 31, 23, 0)); // a Tuesday, last day of March
    const sim = await startSimulator({ clock });
    try {
      const created = await json<Created>(
        await call(sim, '/keys', {
          key: 'period-owner',
          body: { name: 'daily', limit: 1, limit_reset: 'daily' },
        }),
      );
      const cost = (await json<Completion>(await chat(sim, {}, { key: created.key }))).usage.cost;
      const info = async () =>
        (await json<Data<KeyData>>(await call(sim, '/key', { key: created.key }))).data;
      expect(await info()).toMatchObject({
        usage: cost,
        usage_daily: cost,
        usage_weekly: cost,
        usage_monthly: cost,
      });
      clock.advance(2 * 3600_000); // Wednesday 1 April, 01:00
      expect(await info()).toMatchObject({
        usage: cost,
        usage_daily: 0,
        usage_weekly: cost,
        usage_monthly: 0,
        limit_remaining: 1,
      });
      clock.set(Date.UTC(2026, 3, 6, 0, 30)); // the next Monday
      expect(await info()).toMatchObject({ usage: cost, usage_weekly: 0 });
    } finally {
      await sim.close();
    }
  });
});
