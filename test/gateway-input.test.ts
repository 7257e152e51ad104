import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { type RawAnswer, rawRequest } from './helpers/raw-request.ts';

const ADMIN_KEY = 'admin-key-for-input-0123456789';
const MODEL = 'openai/gpt-4o-mini';
const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra });

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    // Stored bodies show what went upstream.
    config: { gateway: { adminKey: ADMIN_KEY, bodyLimitBytes: 64 * 1024 }, storeBodies: { enabled: true } },
  });
});
afterAll(async () => {
  await t.close();
});

const send = (method: string, path: string, headers: Record<string, string | string[]>, body?: string) =>
  rawRequest(t.gateway.url, method, path, headers, body);

const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

async function rowOf(answer: RawAnswer) {
  return await t.gateway.ledger.getRequest(String(answer.headers['x-tollgate-request-id']));
}

describe('what the gateway accepts from a caller, and how it says no', () => {
  it("records an application's own user id as it is (OpenRouter takes any string)", async () => {
    const answer = await send(
      'POST',
      '/v1/chat/completions',
      admin,
      chat({ user: 'auth0|5f7c8ec7c33c6c004bbafe82' }),
    );
    expect(answer.status).toBe(200);
    expect((await rowOf(answer))?.userId).toBe('auth0|5f7c8ec7c33c6c004bbafe82');
  });

  it('reads attribution headers as UTF-8, so one user is one user however it is sent', async () => {
    const byHeader = await send(
      'POST',
      '/v1/chat/completions',
      { ...admin, 'x-tollgate-module': 'für', 'x-tollgate-user': 'Jürgen' },
      chat(),
    );
    expect(byHeader.status).toBe(200);
    expect(await rowOf(byHeader)).toMatchObject({ module: 'für', userId: 'Jürgen' });
    const byBody = await send('POST', '/v1/chat/completions', admin, chat({ user: 'Jürgen' }));
    expect((await rowOf(byBody))?.userId).toBe('Jürgen');
  });

  it('refuses an attribution header sent twice, saying so', async () => {
    const answer = await send(
      'POST',
      '/v1/chat/completions',
      { ...admin, 'x-tollgate-module': ['a', 'b'] },
      chat(),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.error?.message).toBe(
      'Send the X-Tollgate-Module header once (it came more than once).',
    );
  });

  it.each([
    ['an empty model', chat({ model: '' }), 400, /"model" must be a model id such as "openai\/gpt-4o-mini"/],
  ])('refuses %s in words the caller knows', async (_, body, status, message) => {
    const answer = await send('POST', '/v1/chat/completions', admin, body);
    expect(answer.status).toBe(status);
    expect(answer.json.error?.message).toMatch(message);
  });

  it('refuses a compressed body (415) instead of calling it invalid JSON', async () => {
    const answer = await send(
      'POST',
      '/v1/chat/completions',
      { ...admin, 'content-encoding': 'gzip' },
      chat(),
    );
    expect(answer.status).toBe(415);
    expect(answer.json.error?.message).toBe(
      'tollgate does not accept compressed request bodies (Content-Encoding: gzip): send the JSON uncompressed.',
    );
  });

  it('names the body limit when a body is over it', async () => {
    const answer = await send('POST', '/v1/chat/completions', admin, chat({ pad: 'x'.repeat(70 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.json.error?.message).toMatch(/larger than this gateway accepts \(64 KiB\)/);
  });

  it('tells an Authorization header that is not a bearer token from a missing one', async () => {
    const basic = await send('POST', '/v1/chat/completions', { authorization: 'Basic dTpw' }, chat());
    expect(basic.status).toBe(401);
    expect(basic.json.error?.message).toMatch(/^The key is not "Bearer <key>" \(in Authorization\)/);
    const none = await send('POST', '/v1/chat/completions', {}, chat());
    expect(none.json.error?.message).toMatch(/^Missing API key/);
  });

  it('answers another method on an inference route with 405 and Allow: POST', async () => {
    for (const path of ['/v1/chat/completions', '/api/v1/embeddings']) {
      const answer = await send('GET', path, admin);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
      expect(answer.json.error?.message).toBe(`${path} takes POST, not GET.`);
    }
  });

  it("sends the caller's bytes upstream as they are, with only the default cap (4096) spliced in", async () => {
    const text =
      '{"model":"openai/gpt-4o-mini","seed":12345678901234567891,"temperature":1.0,"messages":[{"role":"user","content":"hi"}]}';
    const answer = await send('POST', '/v1/chat/completions', admin, text);
    expect(answer.status).toBe(200);
    const id = String(answer.headers['x-tollgate-request-id']);
    const stored = await eventually(async () => (await t.gateway.ledger.getBodies(id))?.request ?? undefined);
    expect(stored).toBe(`{"max_tokens":4096,${text.slice(1)}`);
  });

  it('adds no max_tokens to an embeddings call, which generates no output', async () => {
    const text = '{"model":"openai/text-embedding-3-small","input":"hello"}';
    const answer = await send('POST', '/v1/embeddings', admin, text);
    expect(answer.status).toBe(200);
    const id = String(answer.headers['x-tollgate-request-id']);
    const stored = await eventually(async () => (await t.gateway.ledger.getBodies(id))?.request ?? undefined);
    expect(stored).toBe(text);
  });
});
