import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenRouterClient, type OpenRouterClient } from './client.ts';
import { createFakeClock } from './test-support/fake-clock.ts';
import { json, startTestServer, type TestServer } from './test-support/test-server.ts';

const FIXTURES = new URL('../shared/fixtures/', new URL('../../', import.meta.url));
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
const KEY = 'sk-or-v1-endpointtest0000000000000000000000000000';
const model = {
  id: 'openai/gpt-4o',
  name: 'GPT-4o',
  pricing: { prompt: '0.0000025', completion: '0.00001' },
};
const key = { hash: 'abc123', name: 'ci', label: 'sk-or-v1-abc...123', disabled: false, limit: null };

let server: TestServer;
let client: OpenRouterClient;

beforeAll(async () => {
  server = await startTestServer();
  client = createOpenRouterClient({
    apiKey: KEY,
    baseUrl: server.baseUrl,
    clock: createFakeClock({ autoAdvanceUpToMs: 60_000 }),
    headers: { 'HTTP-Referer': 'https://tollgate.test', 'X-OpenRouter-Title': 'tollgate tests' },
  });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
beforeEach(() => server.reset());

function lastRequest() {
  const request = server.requests.at(-1);
  if (!request) throw new Error('no request recorded');
  return { ...request, json: request.body ? (JSON.parse(request.body) as unknown) : undefined };
}

describe('catalogue endpoints', () => {
  it('models.list sends the query, list values comma-joined', async () => {
    server.respond(json(200, { data: [model], total_count: 1, links: { next: null } }));
    const result = await client.models.list({
      supported_parameters: ['tools', 'reasoning'],
      limit: 10,
      q: undefined,
    });
    expect(lastRequest().url).toBe('/api/v1/models?supported_parameters=tools%2Creasoning&limit=10');
    expect(result.data).toEqual([model]);
    expect(result.body.total_count).toBe(1);
  });

  it('models.count, user, get, endpoints, parameters', async () => {
    server.respond(json(200, { data: { count: 42 } }));
    expect((await client.models.count({ output_modalities: 'all' })).data.count).toBe(42);
    expect(lastRequest().url).toBe('/api/v1/models/count?output_modalities=all');

    server.respond(json(200, { data: [model] }));
    expect((await client.models.user({ offset: 0 })).data).toHaveLength(1);
    expect(lastRequest().url).toBe('/api/v1/models/user?offset=0');

    server.respond(json(200, { data: model }));
    expect((await client.models.get('meta-llama/llama-3.3-70b-instruct:free')).data.id).toBe('openai/gpt-4o');
    expect(lastRequest().url).toBe('/api/v1/model/meta-llama/llama-3.3-70b-instruct:free');

    server.respond(
      json(200, {
        data: {
          id: 'openai/gpt-4o',
          name: 'GPT-4o',
          endpoints: [{ name: 'OpenAI', pricing: model.pricing }],
        },
      }),
    );
    expect((await client.models.endpoints('openai/gpt-4o')).data.endpoints[0]?.name).toBe('OpenAI');
    expect(lastRequest().url).toBe('/api/v1/models/openai/gpt-4o/endpoints');

    server.respond(json(200, { data: { model: 'openai/gpt-4o', supported_parameters: ['tools'] } }));
    expect(
      (await client.models.parameters('openai/gpt-4o', { provider: 'OpenAI' })).data.supported_parameters,
    ).toEqual(['tools']);
    expect(lastRequest().url).toBe('/api/v1/parameters/openai/gpt-4o?provider=OpenAI');
    await expect(client.models.get('no-slash')).rejects.toThrow(TypeError);
  });

  it('providers.list and embeddings.models', async () => {
    server.respond(json(200, { data: [{ name: 'OpenAI', slug: 'openai', datacenters: null }] }));
    expect((await client.providers.list()).data[0]?.slug).toBe('openai');
    expect(lastRequest().url).toBe('/api/v1/providers');
    server.respond(json(200, { data: [model] }));
    expect((await client.embeddings.models()).data).toHaveLength(1);
    expect(lastRequest().url).toBe('/api/v1/embeddings/models');
  });
});

describe('accounting endpoints', () => {
  it('generation.get parses both fixture shapes', async () => {
    for (const name of ['generation-with-provider-retry.json', 'generation-streamed-openai.json']) {
      const body = fixture(name);
      server.respond(json(200, body));
      const result = await client.generation.get('gen-1772030107-1FJRHH9DliPkfVmjcn64');
      expect(lastRequest().url).toBe('/api/v1/generation?id=gen-1772030107-1FJRHH9DliPkfVmjcn64');
      expect(result.body).toEqual(body);
      expect(result.data.total_cost).toBeGreaterThan(0);
    }
  });

  it('credits, key, activity', async () => {
    server.respond(json(200, { data: { total_credits: 100.5, total_usage: 25.75 } }));
    expect((await client.credits.get()).data).toEqual({ total_credits: 100.5, total_usage: 25.75 });
    expect(lastRequest()).toMatchObject({ method: 'GET', url: '/api/v1/credits' });

    server.respond(json(200, { data: { label: 'sk-or-v1-au7...890', limit: 100, limit_remaining: 74.5 } }));
    expect((await client.key.get()).data.limit_remaining).toBe(74.5);
    expect(lastRequest().url).toBe('/api/v1/key');

    server.respond(
      json(200, { data: [{ date: '2026-01-01', model: 'openai/gpt-4o', usage: 1.5, requests: 3 }] }),
    );
    expect((await client.activity.list({ date: '2026-01-01', group_by: 'workspace' })).data[0]?.usage).toBe(
      1.5,
    );
    expect(lastRequest().url).toBe('/api/v1/activity?date=2026-01-01&group_by=workspace');
  });

  it('keys CRUD', async () => {
    server.respond(json(200, { data: [key] }));
    expect((await client.keys.list({ include_disabled: true, offset: 100 })).data).toEqual([key]);
    expect(lastRequest().url).toBe('/api/v1/keys?include_disabled=true&offset=100');

    server.respond(json(201, { data: key, key: 'sk-or-v1-newkey' }));
    const created = await client.keys.create({ name: 'ci', limit: 10, limit_reset: 'monthly' });
    expect(created.status).toBe(201);
    expect(created.body.key).toBe('sk-or-v1-newkey');
    expect(lastRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/keys',
      json: { name: 'ci', limit: 10, limit_reset: 'monthly' },
    });

    server.respond(json(200, { data: key }));
    expect((await client.keys.get('abc123')).data.hash).toBe('abc123');
    expect(lastRequest()).toMatchObject({ method: 'GET', url: '/api/v1/keys/abc123' });

    server.respond(json(200, { data: { ...key, disabled: true } }));
    expect((await client.keys.update('abc123', { disabled: true })).data.disabled).toBe(true);
    expect(lastRequest()).toMatchObject({
      method: 'PATCH',
      url: '/api/v1/keys/abc123',
      json: { disabled: true },
    });

    server.respond(json(200, { deleted: true }));
    expect((await client.keys.delete('abc123')).data.deleted).toBe(true);
    expect(lastRequest()).toMatchObject({ method: 'DELETE', url: '/api/v1/keys/abc123' });
  });
});

describe('injected transport and dispatcher', () => {
  it('shares an injected transport and leaves it open on close', async () => {
    const shared = createOpenRouterClient({ transport: client.transport });
    server.respond(json(200, { data: { total_credits: 2, total_usage: 0 } }));
    expect((await shared.credits.get()).data.total_credits).toBe(2);
    expect(lastRequest().headers.authorization).toBe(`Bearer ${KEY}`);
    await shared.close();
    server.respond(json(200, { data: { total_credits: 3, total_usage: 0 } }));
    expect((await client.credits.get()).data.total_credits).toBe(3);
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
