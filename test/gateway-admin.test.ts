import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartupError, startGateway } from '../src/cli/compose.ts';
import { loadConfig } from '../src/config/index.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';
const MODEL = 'openai/gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'hello' }];

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ config: { gateway: { adminKey: ADMIN_KEY } } });
});
afterAll(async () => {
  await t.close();
});

async function admin(path: string, init: { method?: string; body?: unknown; key?: string | null } = {}) {
  const key = init.key === undefined ? ADMIN_KEY : init.key;
  const response = await fetch(`${t.gateway.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function createKey(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const created = await admin('/admin/keys', { body });
  expect(created.status).toBe(201);
  const json = created.json() as { data: { id: string }; secret: string };
  return { id: json.data.id, secret: json.secret };
}

describe('gateway keys and the admin API', () => {
  it('refuses admin routes and inference without a key once keys are configured', async () => {
    expect((await admin('/admin/keys', { key: null })).status).toBe(401);
    expect((await admin('/admin/keys', { key: 'tg-not-a-real-key' })).status).toBe(401);
    const anonymous = new OpenAI({ apiKey: 'sk-whatever', baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
    await expect(anonymous.chat.completions.create({ model: MODEL, messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });

  it('creates a key whose secret is shown once and stored only as a hash; the key attributes its calls', async () => {
    const { id, secret } = await createKey({
      name: 'pipeline',
      defaultModule: 'ingest',
      defaultUser: 'svc-1',
    });
    expect(secret).toMatch(/^tg-/);
    const listed = (await admin('/admin/keys')).text;
    expect(listed).not.toContain(secret);
    const stored = (await t.gateway.ledger.keys.list()).find((key) => key.id === id);
    expect(stored?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(10));

    const client = new OpenAI({ apiKey: secret, baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: MODEL, messages }).withResponse();
    const row = await t.gateway.ledger.getRequest(response.headers.get('x-tollgate-request-id') ?? '');
    expect(row).toMatchObject({ keyId: id, module: 'ingest', userId: 'svc-1', status: 'ok' });
    // The header wins over the key's default.
    const { response: second } = await client.chat.completions
      .create({ model: MODEL, messages }, { headers: { 'x-tollgate-module': 'rerank' } })
      .withResponse();
    expect(
      (await t.gateway.ledger.getRequest(second.headers.get('x-tollgate-request-id') ?? ''))?.module,
    ).toBe('rerank');
  });

  it('stops a revoked key at once', async () => {
    const { id, secret } = await createKey({ name: 'short-lived' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: MODEL, messages });
    const revoked = await admin(`/admin/keys/${id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.json()).toMatchObject({ revoked: true, already_revoked: false });
    await expect(client.chat.completions.create({ model: MODEL, messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    // Revoking again is answered the same way, saying so and when; an unknown id is a 404.
    const again = await admin(`/admin/keys/${id}`, { method: 'DELETE' });
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({
      revoked: true,
      already_revoked: true,
      revoked_at: revoked.json().revoked_at,
    });
    const unknown = await admin('/admin/keys/no-such-key', { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({
      error: { message: 'No gateway key with id no-such-key. GET /admin/keys lists them.' },
    });
  });

  it('enforces allowed models and the per-key rate limit', async () => {
    const { secret } = await createKey({ name: 'narrow', allowedModels: ['google/*'], rpmLimit: 2 });
    const client = new OpenAI({ apiKey: secret, baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
    const denied = await client.chat.completions
      .create({ model: MODEL, messages })
      .catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((denied as InstanceType<typeof OpenAI.APIError>).message).toMatch(/google\/\*/);
    // Two calls a minute: the third within the minute is refused.
    await client.chat.completions.create({ model: 'google/gemini-2.5-flash-lite', messages });
    await client.chat.completions.create({ model: 'google/gemini-2.5-flash-lite', messages });
    const limited = await client.chat.completions
      .create({ model: 'google/gemini-2.5-flash-lite', messages })
      .catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('refuses a call over a key budget with 402 naming the budget', async () => {
    const { secret } = await createKey({ name: 'budgeted', budget: { window: 'day', limitUsd: '0.00001' } });
    const client = new OpenAI({ apiKey: secret, baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
    let refusal: unknown;
    for (let i = 0; i < 20 && refusal === undefined; i++) {
      await client.chat.completions
        .create({ model: MODEL, messages, max_tokens: 20 })
        .catch((error: unknown) => {
          refusal = error;
        });
    }
    expect(refusal).toBeInstanceOf(OpenAI.APIError);
    const apiError = refusal as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(402);
    expect(apiError.code).toBe('budget_exceeded');
    expect(apiError.message).toMatch(/key/);
  });

  it('sets, lists and removes budgets', async () => {
    const set = await admin('/admin/budgets', {
      method: 'PUT',
      body: { scope: 'module', scopeValue: 'ingest', window: 'month', limitUsd: '12.5' },
    });
    expect(set.status).toBe(200);
    const id = (set.json() as { data: { id: string } }).data.id;
    const listed = (await admin('/admin/budgets')).json() as {
      data: Array<{ id: string; limitUsd: string; spent: string }>;
    };
    const budget = listed.data.find((item) => item.id === id);
    expect(budget?.limitUsd).toBe('12.5');
    expect(Number(budget?.spent)).toBeGreaterThan(0);
    expect(
      (
        await admin('/admin/budgets', {
          method: 'PUT',
          body: { scope: 'module', window: 'month', limitUsd: 1 },
        })
      ).status,
    ).toBe(400);
    expect((await admin(`/admin/budgets/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await admin(`/admin/budgets/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('serves reports as JSON and CSV, and recent requests with filters', async () => {
    const json = (await admin('/admin/reports/spend?groupBy=module')).json() as {
      data: Array<{ group: { module: string }; spend: string; requests: number }>;
    };
    const ingest = json.data.find((row) => row.group.module === 'ingest');
    expect(ingest?.requests).toBeGreaterThanOrEqual(1);
    const csv = await admin('/admin/reports/spend?groupBy=module,model&format=csv');
    const header = csv.text.split('\r\n')[0];
    expect(header).toMatch(/^module,model,requests,errors,/);
    // An empty report still has its header line, the same one.
    for (const [path, columns] of [
      ['/admin/reports/spend?groupBy=module,model&module=nosuch&format=csv', header],
      [
        '/admin/reports/drift?module=nosuch&format=csv',
        'model,requests,estimated,billed,drift,driftUsd,driftRatio',
      ],
    ] as const) {
      const empty = await admin(path);
      expect(empty.status).toBe(200);
      expect(empty.text).toBe(`${columns}\r\n`);
    }
    const emptyRequests = await admin('/admin/requests?module=nosuch&format=csv');
    expect(emptyRequests.text).toMatch(
      /^id,instanceId,requestId,generationId,createdAt,.*,nextReconcileAt\r\n$/,
    );
    const someRequests = await admin('/admin/requests?module=ingest&format=csv');
    expect(someRequests.text.split('\r\n')[0]).toBe(emptyRequests.text.trim());
    const recent = (await admin('/admin/requests?module=ingest&limit=5')).json() as {
      data: Array<{ module: string }>;
    };
    expect(recent.data.every((row) => row.module === 'ingest')).toBe(true);
    const bad = await admin('/admin/reports/spend?groupBy=planet');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/groupBy/);
  });

  it('reports health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${t.gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${t.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /tollgate_requests_total\{route="chat",model="openai\/gpt-4o-mini",module="ingest",status="ok"\} \d+/,
    );
    expect(metrics).toMatch(/tollgate_tokens_total\{/);
    expect(metrics).toMatch(/tollgate_cost_usd_total\{/);
    expect(metrics).toMatch(/tollgate_upstream_latency_seconds_bucket/);
    expect(metrics).toMatch(/tollgate_ledger_queue_depth \d+/);
    // The calls of this file ran one at a time: their ledger writes were journaled.
    const journaled = /tollgate_ledger_journaled_writes_total (\d+)/.exec(metrics);
    expect(Number(journaled?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/tollgate_reconciliation_lag_seconds \d+/);
    expect(metrics).toMatch(/tollgate_errors_total\{route="chat",code="model_not_allowed"\} 1/);
  });

  it('counts and logs a call answered after a retry whose broken attempt may have been billed', async () => {
    const before = await (await fetch(`${t.gateway.url}/metrics`)).text();
    expect(before).not.toMatch(/tollgate_possibly_billed_retries_total\{route="chat"\} [1-9]/);
    const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        'content-type': 'application/json',
        'x-simulator-fault': 'reset;times=1',
      },
      body: JSON.stringify({ model: MODEL, messages, max_tokens: 20 }),
    });
    expect(response.status).toBe(200);
    await response.text();
    const requestId = response.headers.get('x-tollgate-request-id');
    await t.gateway.ledger.flush();
    expect(await t.gateway.ledger.getRequest(requestId ?? '')).toMatchObject({ status: 'ok', attempts: 2 });
    const metrics = await (await fetch(`${t.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_possibly_billed_retries_total\{route="chat"\} 1/);
    const warned = t.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.requestId === requestId && String(entry.msg).includes('may have been billed'));
    expect(warned).toEqual([expect.objectContaining({ level: 40, attempts: 2, route: 'chat' })]);
  });

  it('lets only the admin key reach account management routes', async () => {
    const { secret } = await createKey({ name: 'not-admin' });
    const asKey = await fetch(`${t.gateway.url}/api/v1/credits`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(asKey.status).toBe(403);
    const asAdmin = await fetch(`${t.gateway.url}/api/v1/credits`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(asAdmin.status).toBe(200);
    expect(
      ((await asAdmin.json()) as { data: { total_credits: number } }).data.total_credits,
    ).toBeGreaterThan(0);
    const providers = await fetch(`${t.gateway.url}/api/v1/providers`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(providers.status).toBe(200);
  });
});

describe('binding safely', () => {
  it('refuses to listen beyond loopback without keys', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        gateway: { host: '0.0.0.0', port: 0 },
        db: { url: ':memory:' },
        openrouter: { apiKey: 'sk-x', baseUrl: 'http://127.0.0.1:9/api/v1' },
      },
    });
    await expect(startGateway({ config, reconcile: false })).rejects.toBeInstanceOf(StartupError);
  });
});
