import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const ADMIN_KEY = 'admin-key-for-fuzzing-0123456789';
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ config: { gateway: { adminKey: ADMIN_KEY } } });
});
afterAll(async () => {
  await t.close();
});

/**
 * The promise for any input: a well-formed answer, never a 5xx; a refusal says what to fix, with
 * a stable code (OpenAI's shape under /v1; under /api/v1 OpenRouter's, its status as the code).
 */
async function expectHandled(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text.slice(0, 300)).toBeLessThan(500);
  if (response.status >= 400 && response.status !== 431) {
    const body = JSON.parse(text) as {
      error: { message: string; code: string | number; metadata?: { tollgate_code: string } };
    };
    expect(body.error.message.length).toBeGreaterThan(10);
    if (typeof body.error.code === 'number') {
      expect(body.error.code).toBe(response.status);
      expect(body.error.metadata?.tollgate_code).toMatch(/^[a-z_]+$/);
    } else expect(body.error.code).toMatch(/^[a-z_]+$/);
  }
}

const printable = fc.string({
  unit: fc.constantFrom(...' abcXYZ019-_.,:;=/{}[]"\'\\<>%&?#@!*+'.split('')),
  maxLength: 60,
});
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const messages = fc.oneof(
  jsonValue,
  fc.array(
    fc.record(
      {
        role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool'), printable),
        content: fc.oneof(printable, jsonValue),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  ),
);
const chatLike = fc.record(
  {
    model: fc.oneof(
      fc.constantFrom('openai/gpt-4o-mini', 'google/gemini-2.5-flash', 'no/such-model'),
      printable,
      jsonValue,
    ),
    messages,
    stream: fc.oneof(fc.boolean(), jsonValue),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), jsonValue),
    temperature: fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), jsonValue),
    user: fc.oneof(printable, jsonValue),
    models: fc.oneof(fc.array(printable, { maxLength: 2 }), jsonValue),
    tools: jsonValue,
    response_format: jsonValue,
    provider: jsonValue,
  },
  { requiredKeys: [] },
);

describe('the gateway under random input', () => {
  it('answers random and malformed bodies with a 2xx or a 4xx that says what is wrong', async () => {
    const body = fc.oneof(
      chatLike.map((value) => JSON.stringify(value)),
      jsonValue.map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    const path = fc.constantFrom(
      '/v1/chat/completions',
      '/api/v1/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        body,
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (route, payload, type) => {
          const response = await fetch(`${t.gateway.url}${route}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': type },
            body: payload,
          });
          await expectHandled(response);
        },
      ),
      { numRuns: 250 },
    );
  });

  it('refuses tools or plugins that are not arrays with a 400 naming the field (a fuzz counterexample)', async () => {
    for (const field of ['tools', 'plugins']) {
      const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'user' }],
          [field]: false,
        }),
      });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      const { error } = JSON.parse(text) as { error: { message: string; code: string } };
      expect(error.code).toBe('invalid_request');
      expect(error.message).toContain(`"${field}" must be an array`);
    }
  });

  it('answers random attribution headers and credentials with a 2xx or a clear 4xx', async () => {
    const headerValue = fc.string({
      unit: fc.constantFrom(...' aZ09-_.,=:/{}"<>&;'.split('')),
      maxLength: 80,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            module: headerValue,
            user: headerValue,
            tags: headerValue,
            auth: fc.oneof(
              headerValue,
              fc.constant(`Bearer ${ADMIN_KEY}`),
              headerValue.map((v) => `Bearer tg-${v}`),
            ),
          },
          { requiredKeys: [] },
        ),
        async (headers) => {
          const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(headers.auth === undefined ? {} : { authorization: headers.auth }),
              ...(headers.module === undefined ? {} : { 'x-tollgate-module': headers.module }),
              ...(headers.user === undefined ? {} : { 'x-tollgate-user': headers.user }),
              ...(headers.tags === undefined ? {} : { 'x-tollgate-tags': headers.tags }),
            },
            body: JSON.stringify({
              model: 'openai/gpt-4o-mini',
              messages: [{ role: 'user', content: 'x' }],
              max_tokens: 5,
            }),
          });
          await expectHandled(response);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers random query strings and paths on admin, report and generation routes without a 5xx', async () => {
    const query = fc.array(
      fc.tuple(
        fc.constantFrom(
          'groupBy',
          'since',
          'until',
          'module',
          'user',
          'model',
          'provider',
          'key',
          'status',
          'limit',
          'format',
          'id',
          'x',
        ),
        fc.string({ maxLength: 30 }),
      ),
      { maxLength: 5 },
    );
    const route = fc.constantFrom(
      '/admin/reports/spend',
      '/admin/reports/drift',
      '/admin/requests',
      '/api/v1/generation',
      '/v1/models',
      '/dashboard/api/summary',
      '/dashboard/api/requests',
      '/nowhere',
      '/admin/keys/%2e%2e',
    );
    await fc.assert(
      fc.asyncProperty(route, query, async (path, pairs) => {
        const search = new URLSearchParams(pairs).toString();
        const response = await fetch(`${t.gateway.url}${path}${search ? `?${search}` : ''}`, {
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
        });
        await expectHandled(response);
      }),
      { numRuns: 250 },
    );
  });

  it('treats injection strings in every report filter as plain values', async () => {
    const before = await t.gateway.ledger.reports.recent({ limit: 1000 });
    const hostile = [
      "' OR 1=1 --",
      '"; DROP TABLE requests; --',
      "x') UNION SELECT * FROM gateway_keys --",
      '%27%20OR%20%271%27=%271',
      '\\x00',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally.
      '${1+1}',
    ];
    for (const filter of ['module', 'user', 'model', 'provider', 'key']) {
      for (const value of hostile) {
        for (const path of ['/admin/requests', '/admin/reports/spend']) {
          const response = await fetch(
            `${t.gateway.url}${path}?${new URLSearchParams({ [filter]: value })}`,
            {
              headers: { authorization: `Bearer ${ADMIN_KEY}` },
            },
          );
          expect(response.status).toBe(200);
          const body = (await response.json()) as { data: unknown[] };
          expect(body.data).toEqual([]);
        }
      }
    }
    expect((await t.gateway.ledger.reports.recent({ limit: 1000 })).length).toBe(before.length);
  });
});
