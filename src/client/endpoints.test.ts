import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { createOpenRouterClient } from './client.ts';
import { fixture, TEST_KEY as KEY, useEndpointHarness } from './test-support/endpoint-harness.ts';
import { json } from './test-support/test-server.ts';

const model = {
  id: 'openai/gpt-4o',
  name: 'GPT-4o',
  pricing: { prompt: '0.0000025', completion: '0.00001' },
};
const key = { hash: 'abc123', name: 'ci', label: 'sk-or-v1-abc...123', disabled: false, limit: null };

const harness = useEndpointHarness();
const { lastRequest } = harness;

describe('catalogue endpoints', () => {
  it('models.list sends the query, list values comma-joined', async () => {
    harness.server.respond(json(200, { data: [model], total_count: 1, links: { next: null } }));
    const result = await harness.client.models.list({
      supported_parameters: ['tools', 'reasoning'],
      limit: 10,
      q: undefined,
    });
    expect(lastRequest().url).toBe('/api/v1/models?supported_parameters=tools%2Creasoning&limit=10');
    expect(result.data).toEqual([model]);
    expect(result.body.total_count).toBe(1);
  });

  it('models.count, user, get, endpoints, parameters', async () => {
    harness.server.respond(json(200, { data: { count: 42 } }));
    expect((await harness.client.models.count({ output_modalities: 'all' })).data.count).toBe(42);
    expect(lastRequest().url).toBe('/api/v1/models/count?output_modalities=all');

    harness.server.respond(json(200, { data: [model] }));
    expect((await harness.client.models.user({ offset: 0 })).data).toHaveLength(1);
    expect(lastRequest().url).toBe('/api/v1/models/user?offset=0');

    harness.server.respond(json(200, { data: model }));
    expect((await harness.client.models.get('meta-llama/llama-3.3-70b-instruct:free')).data.id).toBe(
      'openai/gpt-4o',
    );
    expect(lastRequest().url).toBe('/api/v1/model/meta-llama/llama-3.3-70b-instruct:free');

    harness.server.respond(
      json(200, {
        data: {
          id: 'openai/gpt-4o',
          name: 'GPT-4o',
          endpoints: [{ name: 'OpenAI', pricing: model.pricing }],
        },
      }),
    );
    expect((await harness.client.models.endpoints('openai/gpt-4o')).data.endpoints[0]?.name).toBe('OpenAI');
    expect(lastRequest().url).toBe('/api/v1/models/openai/gpt-4o/endpoints');

    harness.server.respond(json(200, { data: { model: 'openai/gpt-4o', supported_parameters: ['tools'] } }));
    expect(
      (await harness.client.models.parameters('openai/gpt-4o', { provider: 'OpenAI' })).data
        .supported_parameters,
    ).toEqual(['tools']);
    expect(lastRequest().url).toBe('/api/v1/parameters/openai/gpt-4o?provider=OpenAI');
    await expect(harness.client.models.get('no-slash')).rejects.toThrow(TypeError);
  });

  it('providers.list and embeddings.models', async () => {
    harness.server.respond(json(200, { data: [{ name: 'OpenAI', slug: 'openai', datacenters: null }] }));
    expect((await harness.client.providers.list()).data[0]?.slug).toBe('openai');
    expect(lastRequest().url).toBe('/api/v1/providers');
    harness.server.respond(json(200, { data: [model] }));
    expect((await harness.client.embeddings.models()).data).toHaveLength(1);
    expect(lastRequest().url).toBe('/api/v1/embeddings/models');
  });
});

describe('accounting endpoints', () => {
  it('generation.get parses both fixture shapes', async () => {
    for (const name of ['generation-with-provider-retry.json', 'generation-streamed-openai.json']) {
      const body = fixture(name);
      harness.server.respond(json(200, body));
      const result = await harness.client.generation.get('gen-1772030107-1FJRHH9DliPkfVmjcn64');
      expect(lastRequest().url).toBe('/api/v1/generation?id=gen-1772030107-1FJRHH9DliPkfVmjcn64');
      expect(result.body).toEqual(body);
      expect(result.data.total_cost).toBeGreaterThan(0);
    }
  });

  it('credits, key, activity', async () => {
    harness.server.respond(json(200, { data: { total_credits: 100.5, total_usage: 25.75 } }));
    expect((await harness.client.credits.get()).data).toEqual({ total_credits: 100.5, total_usage: 25.75 });
    expect(lastRequest()).toMatchObject({ method: 'GET', url: '/api/v1/credits' });

    harness.server.respond(
      json(200, { data: { label: 'sk-or-v1-au7...890', limit: 100, limit_remaining: 74.5 } }),
    );
    expect((await harness.client.key.get()).data.limit_remaining).toBe(74.5);
    expect(lastRequest().url).toBe('/api/v1/key');

    harness.server.respond(
      json(200, { data: [{ date: '2026-01-01', model: 'openai/gpt-4o', usage: 1.5, requests: 3 }] }),
    );
    expect(
      (await harness.client.activity.list({ date: '2026-01-01', group_by: 'workspace' })).data[0]?.usage,
    ).toBe(1.5);
    expect(lastRequest().url).toBe('/api/v1/activity?date=2026-01-01&group_by=workspace');
  });

  it('keys CRUD', async () => {
    harness.server.respond(json(200, { data: [key] }));
    expect((await harness.client.keys.list({ include_disabled: true, offset: 100 })).data).toEqual([key]);
    expect(lastRequest().url).toBe('/api/v1/keys?include_disabled=true&offset=100');

    harness.server.respond(json(201, { data: key, key: 'sk-or-v1-newkey' }));
    const created = await harness.client.keys.create({ name: 'ci', limit: 10, limit_reset: 'monthly' });
    expect(created.status).toBe(201);
    expect(created.body.key).toBe('sk-or-v1-newkey');
    expect(lastRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/keys',
      json: { name: 'ci', limit: 10, limit_reset: 'monthly' },
    });

    harness.server.respond(json(200, { data: key }));
    expect((await harness.client.keys.get('abc123')).data.hash).toBe('abc123');
    expect(lastRequest()).toMatchObject({ method: 'GET', url: '/api/v1/keys/abc123' });

    harness.server.respond(json(200, { data: { ...key, disabled: true } }));
    expect((await harness.client.keys.update('abc123', { disabled: true })).data.disabled).toBe(true);
    expect(lastRequest()).toMatchObject({
      method: 'PATCH',
      url: '/api/v1/keys/abc123',
      json: { disabled: true },
    });

    harness.server.respond(json(200, { deleted: true }));
    expect((await harness.client.keys.delete('abc123')).data.deleted).toBe(true);
    expect(lastRequest()).toMatchObject({ method: 'DELETE', url: '/api/v1/keys/abc123' });
  });
});

describe('injected transport and dispatcher', () => {
  it('shares an injected transport and leaves it open on close', async () => {
    const shared = createOpenRouterClient({ transport: harness.client.transport });
    harness.server.respond(json(200, { data: { total_credits: 2, total_usage: 0 } }));
    expect((await shared.credits.get()).data.total_credits).toBe(2);
    expect(lastRequest().headers.authorization).toBe(`Bearer ${KEY}`);
    await shared.close();
    harness.server.respond(json(200, { data: { total_credits: 3, total_usage: 0 } }));
    expect((await harness.client.credits.get()).data.total_credits).toBe(3);
  });

  it('routes through an undici MockAgent', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://openrouter.test')
      .intercept({ path: '/api/v1/credits', method: 'GET', headers: { authorization: `Bearer ${KEY}` } })
      .reply(
        200,
        { data: { total_credits: 1, total_usage: 0 } },
        { headers: { 'content-type': 'application/json' } },
      );
    const mocked = createOpenRouterClient({
      apiKey: KEY,
      baseUrl: 'https://openrouter.test/api/v1',
      dispatcher: agent,
    });
    expect((await mocked.credits.get()).data.total_credits).toBe(1);
    await agent.close();
  });
});
