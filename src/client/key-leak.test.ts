import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenRouterClient } from './client.ts';
import { isOpenRouterError } from './error-guards.ts';
import { createFakeClock } from './test-support/fake-clock.ts';
import {
  json,
  raw,
  reset,
  sse,
  stall,
  startTestServer,
  type TestServer,
} from './test-support/test-server.ts';
import type { AttemptInfo, ClientOptions } from './types.ts';

// Recognisable, and shaped like a real key so the generic pattern would also catch it.
const KEY = 'sk-or-v1-LEAKCANARY0123456789abcdef0123456789abcdef0123456789abcd';
const CANARY = 'LEAKCANARY';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const echoKey = (status: number) => (request: { headers: Record<string, unknown> }) => ({
  error: {
    code: status,
    message: `Invalid credentials: ${String(request.headers.authorization)}`,
    metadata: { raw: { received: request.headers.authorization }, provider_name: KEY },
  },
});

function expectNoKey(value: unknown): void {
  const text = inspect(value, { depth: 20, showHidden: true, getters: true });
  expect(text).not.toContain(CANARY);
  if (value instanceof Error) {
    expect(String(value)).not.toContain(CANARY);
    expect(value.stack ?? '').not.toContain(CANARY);
  }
}

function setup(options: Partial<ClientOptions> = {}) {
  const attempts: AttemptInfo[] = [];
  const clock = createFakeClock({ autoAdvanceUpToMs: 130_000 });
  const client = createOpenRouterClient({
    apiKey: KEY,
    baseUrl: server.baseUrl,
    clock,
    maxRetries: 1,
    onAttempt: (info) => attempts.push(info),
    ...options,
  });
  return { client, clock, attempts };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOpenRouterError(error)).toBe(true);
  return error;
}

describe('the API key never leaks', () => {
  it('from HTTP error responses that echo it back', async () => {
    for (const status of [400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 524, 529, 200]) {
      const { client, attempts } = setup({ maxRetries: 0 });
      server.respond((request, response, rawRequest) =>
        json(status, echoKey(status)(request), { 'x-echo': KEY })(request, response, rawRequest),
      );
      const error = await failure(client.chat.create({ messages: [{ role: 'user', content: 'x' }] }));
      expectNoKey(error);
      expectNoKey(attempts);
    }
  });

  it('from invalid and mismatched bodies', async () => {
    const { client } = setup();
    server.respond(raw(200, `{"oops": "${KEY}"`));
    expectNoKey(await failure(client.credits.get()));
    server.respond(json(200, { data: KEY }));
    expectNoKey(await failure(client.credits.get()));
    server.respond(raw(524, `<html>${KEY}</html>`));
    server.respond(raw(524, `<html>${KEY}</html>`));
    expectNoKey(await failure(client.credits.get()));
  });

  it('from connection failures, timeouts and aborts', async () => {
    const closed = createOpenRouterClient({
      apiKey: KEY,
      baseUrl: 'http://127.0.0.1:1/api/v1',
      maxRetries: 0,
    });
    expectNoKey(await failure(closed.credits.get()));

    const { client, clock } = setup({ maxRetries: 0, timeoutMs: 200_000 });
    server.respond(reset);
    expectNoKey(await failure(client.credits.get()));

    server.respond(stall);
    const timedOut = failure(client.credits.get());
    await clock.waitForSleep((ms) => ms === 200_000);
    for (let i = 0; i < 500 && server.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
    clock.advance(200_000);
    expectNoKey(await timedOut);

    server.respond(stall);
    const controller = new AbortController();
    const aborted = failure(client.credits.get({ signal: controller.signal }));
    controller.abort(new Error(`caller gave up on ${KEY}`));
    expectNoKey(await aborted);
  });

  it('from a key undici refuses to send', async () => {
    const { client } = setup({ apiKey: `${KEY}\r\nx-injected: 1` });
    expectNoKey(await failure(client.credits.get()));
  });

  it('from stream failures', async () => {
    const { client } = setup();
    const head = { id: 'gen-1', model: 'm', provider: 'p', object: 'chat.completion.chunk', created: 1 };
    const chunk = (payload: unknown) => `data: ${JSON.stringify({ ...head, ...(payload as object) })}\n\n`;
    const request = { messages: [{ role: 'user' as const, content: 'x' }] };

    server.respond(
      sse([chunk({ error: { code: 500, message: `bad ${KEY}`, metadata: { raw: KEY } }, choices: [] })]),
    );
    expectNoKey(await failure((await client.chat.stream(request)).finalResult()));

    server.respond(sse([`data: {"broken": "${KEY}"\n\n`]));
    expectNoKey(await failure((await client.chat.stream(request)).finalResult()));

    server.respond(sse([chunk({ choices: [{ index: 0, delta: { content: KEY } }] })], { destroy: true }));
    const truncated = await failure((await client.chat.stream(request)).finalResult());
    // The partial carries model output (here the key, by construction); only the error text is checked.
    expect(String(truncated)).not.toContain(CANARY);

    server.respond(json(401, { error: { code: 401, message: KEY } }));
    expectNoKey(await failure(client.chat.stream(request)));
  });
});
