import { OpenRouter } from '@openrouter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moneyFromUsd, moneyToNumber } from '../src/shared/money.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { type RawAnswer, rawRequest } from './helpers/raw-request.ts';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';
const CHAT = JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

let t: TestGateway;
let keySecret: string;
beforeAll(async () => {
  t = await startTestGateway({ config: { gateway: { adminKey: ADMIN_KEY } } });
  const created = await t.gateway.ledger.keys.create({ name: 'app', allowedModels: ['openai/*'] });
  keySecret = created.secret;
});
afterAll(async () => {
  await t.close();
});

/** A call with a gateway or admin key, its path sent byte for byte. */
function send(method: string, path: string, key: string, body?: string): Promise<RawAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return rawRequest(t.gateway.url, method, path, headers, body);
}

/** Inference calls the simulator received (the catalogue's own loads left out). */
function upstreamCalls(): number {
  return t.sim.state.requests().filter((entry) => entry.method === 'POST').length;
}

async function ledgerRows(): Promise<number> {
  await t.gateway.ledger.flush();
  return (await t.gateway.ledger.reports.recent({ limit: 1000 })).length;
}

describe('the pass-through never carries a metered route unmetered', () => {
  it.each([
    ['a trailing slash', '/api/v1/chat/completions/', 404, /trailing or doubled slash/],
    ['a doubled slash', '/api/v1/chat//completions', 404, /trailing or doubled slash/],
    ['a . segment', '/api/v1/./chat/completions', 404, /\. or \.\. segments/],
    ['a .. segment', '/api/v1/x/../chat/completions', 404, /\. or \.\. segments/],
    ['an encoded slash', '/api/v1/chat%2Fcompletions', 404, /encoded slashes/],
    ['another case', '/api/v1/Chat/Completions', 404, /Call it as \/api\/v1\/chat\/completions/],
    ['a trailing slash on completions', '/api/v1/completions/', 404, /trailing or doubled slash/],
    ['a malformed escape', '/api/v1/chat/%E0%A4%A', 400, /malformed percent-encoding/],
  ])('refuses %s (%s) without calling OpenRouter or writing a row', async (_, path, status, message) => {
    const rowsBefore = await ledgerRows();
    const upstreamBefore = upstreamCalls();
    for (const key of [keySecret, ADMIN_KEY]) {
      const answer = await send('POST', path, key, CHAT);
      expect(answer.status).toBe(status);
      expect(answer.json.error?.message).toMatch(message);
    }
    expect(upstreamCalls()).toBe(upstreamBefore);
    expect(await ledgerRows()).toBe(rowsBefore);
  });

  it('meters a percent-encoded spelling of a metered route like the route itself', async () => {
    const rowsBefore = await ledgerRows();
    const upstreamBefore = upstreamCalls();
    const answer = await send('POST', '/api/v1/chat/complet%69ons', keySecret, CHAT);
    expect(answer.status).toBe(200);
    expect(upstreamCalls()).toBe(upstreamBefore + 1);
    expect(await ledgerRows()).toBe(rowsBefore + 1);
  });

  it('answers another method on a metered route with 405 and the method it takes', async () => {
    const answer = await send('GET', '/api/v1/chat/completions', keySecret);
    expect(answer.status).toBe(405);
    expect(answer.json.error?.message).toBe('/api/v1/chat/completions takes POST, not GET.');
  });

  it('keeps a gateway key off spending routes tollgate does not meter; the admin key passes', async () => {
    for (const path of ['/api/v1/rerank', '/api/v1/messages/batches', '/api/v1/responses/resp_1/cancel']) {
      const upstreamBefore = upstreamCalls();
      const refused = await send('POST', path, keySecret, CHAT);
      expect(refused.status).toBe(403);
      expect(refused.json.error?.message).toMatch(/does not meter .* so a gateway key may not call it/);
      expect(upstreamCalls()).toBe(upstreamBefore);
    }
    // The simulator does not serve /rerank: what matters is that the call went through to it.
    const upstreamBefore = upstreamCalls();
    const asAdmin = await send('POST', '/api/v1/rerank', ADMIN_KEY, CHAT);
    expect(asAdmin.status).toBe(404);
    expect(upstreamCalls()).toBe(upstreamBefore + 1);
  });

  it("passes Anthropic's token counter through for a gateway key: it spends nothing", async () => {
    const upstreamBefore = upstreamCalls();
    const answer = await send('POST', '/api/v1/messages/count_tokens', keySecret, CHAT);
    expect(answer.status).toBe(404);
    // Anthropic's SDK may send the key in x-api-key.
    const viaApiKey = await rawRequest(
      t.gateway.url,
      'POST',
      '/api/v1/messages/count_tokens',
      { 'x-api-key': keySecret, 'content-type': 'application/json' },
      CHAT,
    );
    expect(viaApiKey.status).toBe(404);
    expect(upstreamCalls()).toBe(upstreamBefore + 2);
    // Unmetered, so the log is its only record: each upstream error is logged with OpenRouter's answer.
    const failures = t.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'upstream error' && entry.url === '/api/v1/messages/count_tokens');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({
      method: 'POST',
      status: 404,
      error: expect.stringContaining('No route for POST'),
    });
    for (const line of t.logs) expect(line).not.toContain(keySecret);
  });

  it('meters /responses and /messages, so another spelling of them is refused like any metered route', async () => {
    for (const [path, route] of [
      ['/api/v1/Responses', '/api/v1/responses'],
      ['/api/v1/messages/', null],
    ] as const) {
      const upstreamBefore = upstreamCalls();
      const refused = await send('POST', path, keySecret, CHAT);
      expect(refused.status).toBe(404);
      if (route) expect(refused.json.error?.message).toContain(`Call it as ${route}`);
      expect(upstreamCalls()).toBe(upstreamBefore);
    }
  });

  it("takes the key from x-api-key on tollgate's own routes too: the catalogue, generations, the admin API", async () => {
    const viaApiKey = (path: string, key = keySecret) =>
      rawRequest(t.gateway.url, 'GET', path, { 'x-api-key': key });
    for (const path of ['/v1/models', '/api/v1/models', '/v1/models/openai%2Fgpt-4o-mini']) {
      const answer = await viaApiKey(path);
      expect(answer.status, path).toBe(200);
    }
    const generation = await viaApiKey('/api/v1/generation?id=gen-none');
    expect(generation.status).toBe(404);
    expect(generation.json.error?.message).toMatch(/No generation gen-none/);
    expect((await viaApiKey('/admin/keys', ADMIN_KEY)).status).toBe(200);
    // A gateway key is still only a gateway key there.
    expect((await viaApiKey('/admin/keys')).status).toBe(403);
    expect((await viaApiKey('/v1/models', 'tg-not-a-key')).status).toBe(401);
  });

  it("answers GET /key for a gateway key with that key's budget and spend, never the upstream key's account", async () => {
    const budgeted = await t.gateway.ledger.keys.create({
      name: 'budgeted',
      budget: { window: 'day', limit: moneyFromUsd('2') },
    });
    const spent = await send('POST', '/api/v1/chat/completions', budgeted.secret, CHAT);
    expect(spent.status).toBe(200);
    await t.gateway.ledger.flush();
    const [row] = await t.gateway.ledger.reports.recent({ filters: { key: [budgeted.key.id] } });
    const cost = row?.cost === null || row === undefined ? Number.NaN : moneyToNumber(row.cost);
    for (const path of ['/api/v1/key', '/api/v1/auth/key']) {
      const answer = await send('GET', path, budgeted.secret);
      expect(answer.status, path).toBe(200);
      expect(answer.json.data).toMatchObject({
        label: budgeted.key.prefix,
        name: 'budgeted',
        limit: 2,
        limit_reset: 'daily',
        usage: cost,
        usage_daily: cost,
        is_management_key: false,
      });
      expect((answer.json.data as { limit_remaining: number }).limit_remaining).toBeCloseTo(2 - cost, 9);
      expect(JSON.stringify(answer.json)).not.toContain('sk-or-');
    }
    // OpenRouter's own SDK reads the answer.
    const sdk = new OpenRouter({ apiKey: budgeted.secret, serverURL: `${t.gateway.url}/api/v1` });
    const metadata = await sdk.apiKeys.getCurrentKeyMetadata();
    expect(metadata.data).toMatchObject({ label: budgeted.key.prefix, limit: 2, usage: cost });
    const unlimited = await send('GET', '/api/v1/key', keySecret);
    expect(unlimited.json.data).toMatchObject({ limit: null, limit_remaining: null, limit_reset: null });
    // The admin key gets OpenRouter's own record of the upstream key.
    const upstream = await send('GET', '/api/v1/key', ADMIN_KEY);
    expect(upstream.status).toBe(200);
    expect(upstream.json.data).toMatchObject({ label: expect.stringMatching(/^sk-or-/) });
    // Another spelling gets the same answer; any generation's stored content stays the admin's.
    const encoded = await send('GET', '/api/v1/%6Bey', budgeted.secret);
    expect(encoded.json.data).toMatchObject({ label: budgeted.key.prefix });
    expect((await send('GET', '/api/v1/generation/content?id=gen-1', budgeted.secret)).status).toBe(403);
  });

  it('still passes catalogue routes through for a gateway key, with their query', async () => {
    const answer = await send('GET', '/api/v1/models/count?output_modalities=text', keySecret);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ data: { count: expect.any(Number) } });
  });
});
