import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { at, call, type Data, type ErrorBody, json } from './simulator-helpers.ts';

interface Model {
  id: string;
  canonical_slug: string;
  name: string;
  context_length: number;
  architecture: {
    modality: string;
    input_modalities: string[];
    output_modalities: string[];
    tokenizer: string;
  };
  pricing: Record<string, unknown> & { prompt: string; completion: string };
  top_provider: { context_length: number; max_completion_tokens: number | null; is_moderated: boolean };
  per_request_limits: unknown;
  supported_parameters: string[];
  reasoning?: { mandatory: boolean };
  links: { details: string };
}
interface ModelList {
  data: Model[];
  total_count: number;
  links: { next: string | null };
}
interface Endpoint {
  provider_name: string;
  tag: string;
  pricing: { prompt: string };
  latency_last_30m: unknown;
  supported_parameters: string[];
}

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

describe('catalogue routes', () => {
  it('lists text models without a key, with decimal-string prices and the documented fields', async () => {
    const res = await call(sim, '/models', { key: null });
    expect(res.status).toBe(200);
    const list = await json<ModelList>(res);
    expect(list.data.length).toBeGreaterThanOrEqual(12);
    expect(list.total_count).toBe(list.data.length);
    expect(list.links.next).toBeNull();
    for (const model of list.data) {
      expect(model.architecture.output_modalities).toContain('text');
      expect(model.pricing.prompt).toMatch(/^\d+(\.\d+)?$/);
      expect(model.pricing.completion).toMatch(/^\d+(\.\d+)?$/);
      expect(model).toHaveProperty('top_provider.is_moderated');
      expect(model).toHaveProperty('per_request_limits');
      expect(model.links.details).toBe(`/api/v1/models/${model.canonical_slug}/endpoints`);
    }
    const pricing = list.data.map((m) => m.pricing);
    expect(
      pricing.some(
        (p) => Array.isArray(p.overrides) && JSON.stringify(p.overrides).includes('min_prompt_tokens'),
      ),
    ).toBe(true);
    expect(pricing.some((p) => typeof p.discount === 'number')).toBe(true);
    for (const key of ['request', 'image', 'internal_reasoning', 'input_cache_read', 'input_cache_write']) {
      expect(
        pricing.some((p) => typeof p[key] === 'string'),
        key,
      ).toBe(true);
    }
    expect(list.data.some((m) => m.id.endsWith(':free') && m.pricing.prompt === '0')).toBe(true);
    expect(list.data.find((m) => m.id === 'openai/gpt-5-mini')?.reasoning?.mandatory).toBe(true);
    expect(list.data.find((m) => m.id === 'openai/gpt-4o-mini')?.reasoning).toBeUndefined();
  });

  it('filters by output_modalities and supported_parameters, and pages with offset/limit', async () => {
    const all = await json<ModelList>(await call(sim, '/models?output_modalities=all'));
    const embeddings = await json<ModelList>(await call(sim, '/models?output_modalities=embeddings'));
    const text = await json<ModelList>(await call(sim, '/models'));
    expect(embeddings.data.length).toBeGreaterThan(0);
    expect(all.total_count).toBe(text.total_count + embeddings.total_count);
    const tools = await json<ModelList>(
      await call(sim, '/models?supported_parameters=tools,response_format'),
    );
    expect(tools.data.length).toBeGreaterThan(0);
    expect(tools.data.length).toBeLessThan(text.data.length);
    for (const m of tools.data)
      expect(m.supported_parameters).toEqual(expect.arrayContaining(['tools', 'response_format']));

    const seen: string[] = [];
    let next: string | null = '/api/v1/models?offset=0&limit=5';
    while (next !== null) {
      const page: ModelList = await json<ModelList>(await fetch(`${sim.origin}${next}`));
      expect(page.data.length).toBeLessThanOrEqual(5);
      seen.push(...page.data.map((m) => m.id));
      next = page.links.next;
    }
    expect(seen).toEqual(text.data.map((m) => m.id));
    expect((await call(sim, '/models?limit=0')).status).toBe(400);
    expect((await call(sim, '/models?offset=-1')).status).toBe(400);

    expect((await json<Data<{ count: number }>>(await call(sim, '/models/count'))).data.count).toBe(
      text.total_count,
    );
    const embeddingsCount = await json<Data<{ count: number }>>(
      await call(sim, '/models/count?output_modalities=embeddings'),
    );
    expect(embeddingsCount.data.count).toBe(embeddings.total_count);
    const embeddingModels = await json<ModelList>(await call(sim, '/embeddings/models'));
    expect(embeddingModels.data.map((m) => m.id)).toEqual(embeddings.data.map((m) => m.id));
    expect((await call(sim, '/models/user', { key: null })).status).toBe(401);
    expect((await json<ModelList>(await call(sim, '/models/user'))).total_count).toBe(text.total_count);
  });

  it('serves one model (variants resolve), its endpoints, its parameters and the providers', async () => {
    const model = await json<Data<Model>>(await call(sim, '/model/openai/gpt-4o-mini', { key: null }));
    expect(model.data.id).toBe('openai/gpt-4o-mini');
    expect((await json<Data<Model>>(await call(sim, '/model/openai/gpt-4o-mini:nitro'))).data.id).toBe(
      'openai/gpt-4o-mini',
    );
    expect((await call(sim, '/model/openai/nope')).status).toBe(404);

    const endpoints = await json<Data<{ id: string; endpoints: Endpoint[] }>>(
      await call(sim, '/models/meta-llama/llama-3.3-70b-instruct/endpoints', { key: null }),
    );
    expect(endpoints.data.endpoints.map((e) => [e.provider_name, e.tag])).toEqual([
      ['DeepInfra', 'deepinfra'],
      ['Together', 'together'],
      ['Groq', 'groq'],
    ]);
    expect(at(endpoints.data.endpoints).latency_last_30m).toBeNull();
    const authed = await json<Data<{ endpoints: Endpoint[] }>>(
      await call(sim, '/models/meta-llama/llama-3.3-70b-instruct/endpoints'),
    );
    expect(at(authed.data.endpoints).latency_last_30m).toMatchObject({ p50: expect.any(Number) });

    const params = await json<Data<{ model: string; supported_parameters: string[] }>>(
      await call(sim, '/parameters/openai/gpt-4o-mini'),
    );
    expect(params.data.supported_parameters).toContain('tools');
    expect((await call(sim, '/parameters/openai/gpt-4o-mini?provider=Groq')).status).toBe(404);

    const providers = await json<Data<{ name: string; slug: string }[]>>(
      await call(sim, '/providers', { key: null }),
    );
    expect(providers.data.length).toBeGreaterThanOrEqual(6);
    expect(providers.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Google AI Studio', slug: 'google-ai-studio' }),
      ]),
    );
    const zdr = await json<Data<Endpoint[]>>(await call(sim, '/endpoints/zdr'));
    expect(zdr.data.length).toBeGreaterThan(12);
  });

  it('answers unknown routes with a 404 envelope, wrong methods with 405, bad JSON with 400', async () => {
    const unknown = await call(sim, '/nope');
    expect(unknown.status).toBe(404);
    expect((await json<ErrorBody>(unknown)).error).toMatchObject({
      code: 404,
      metadata: { error_type: 'not_found' },
    });
    expect((await fetch(`${sim.origin}/v1/chat/completions`)).status).toBe(404);
    const wrong = await call(sim, '/chat/completions');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const bad = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.metadata.error_type).toBe('invalid_request');
    const empty = await call(sim, '/chat/completions', {
      body: { model: 'openai/gpt-4o-mini', messages: [] },
    });
    expect(empty.status).toBe(400);
    const badRole = await call(sim, '/chat/completions', {
      body: { messages: [{ role: 'robot', content: 'x' }] },
    });
    expect(badRole.status).toBe(400);
    const badMax = await call(sim, '/chat/completions', {
      body: { messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
    });
    expect(badMax.status).toBe(400);
  });

  it('keeps a request log tests can read', () => {
    const log = sim.state.requests();
    expect(log.length).toBeGreaterThan(10);
    expect(log.some((entry) => entry.path === '/api/v1/models' && entry.status === 200)).toBe(true);
  });
});
