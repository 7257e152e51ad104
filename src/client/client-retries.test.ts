import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenRouterClient } from './client.ts';
import { ClientConfigError } from './client-env.ts';
import {
  isAbortError,
  isConnectionError,
  isPaymentRequiredError,
  isRateLimitError,
  isTimeoutError,
} from './error-guards.ts';
import { BadRequestError, InternalServerError, RateLimitError } from './errors.ts';
import { createFakeClock, type FakeClock } from './test-support/fake-clock.ts';
import { json, reset, stall, startTestServer, type TestServer } from './test-support/test-server.ts';
import type { AttemptInfo, ClientOptions, RequestOptions } from './types.ts';

const ok = json(200, { data: { total_credits: 10, total_usage: 1 } });
const err = (status: number, headers: Record<string, string> = {}, metadata?: Record<string, unknown>) =>
  json(
    status,
    { error: { code: status, message: `status ${status}`, ...(metadata ? { metadata } : {}) } },
    headers,
  );

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** Real I/O needs event-loop turns (not clock time) before the server has seen a request. */
async function untilRequests(count: number): Promise<void> {
  for (let i = 0; i < 500 && server.requests.length < count; i++) await new Promise((r) => setTimeout(r, 2));
}

function setup(options: Partial<ClientOptions> & { autoAdvanceUpToMs?: number } = {}) {
  const clock: FakeClock = createFakeClock({ autoAdvanceUpToMs: options.autoAdvanceUpToMs ?? 130_000 });
  const attempts: AttemptInfo[] = [];
  const client = createOpenRouterClient({
    apiKey: 'sk-or-v1-retrytest',
    baseUrl: server.baseUrl,
    clock,
    retry: { jitter: 'none' },
    onAttempt: (info) => attempts.push(info),
    ...options,
  });
  return { client, clock, attempts };
}

describe('retries', () => {
  it('honours Retry-After on 429 via the injected clock and reports attempts', async () => {
    const { client, clock, attempts } = setup();
    server.respond(err(429, { 'retry-after': '2' }), ok);
    const result = await client.credits.get();
    expect(result.attempts).toBe(2);
    expect(clock.sleeps).toContain(2000);
    expect(attempts.map((a) => [a.attempt, a.status, a.willRetry, a.delayMs])).toEqual([
      [1, 429, true, 2000],
      [2, 200, false, undefined],
    ]);
    expect(isRateLimitError(attempts[0]?.error)).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('honours retry-after-ms on 503', async () => {
    const { client, clock } = setup();
    server.respond(err(503, { 'retry-after-ms': '250' }), ok);
    expect((await client.credits.get()).attempts).toBe(2);
    expect(clock.sleeps).toContain(250);
  });

  it('backs off exponentially and stops after maxRetries', async () => {
    const { client, clock } = setup();
    server.respond(err(500), err(502), err(500));
    const error = await client.credits.get().catch((e) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.attempts).toBe(3);
    expect(clock.sleeps.filter((ms) => ms < 100_000)).toEqual([500, 1000]);
  });

  it('does not retry a 400, and per-request maxRetries wins', async () => {
    const { client } = setup();
    server.respond(err(400));
    const bad = await client.credits.get().catch((e) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.attempts).toBe(1);
    server.respond(err(500));
    expect((await client.credits.get({ maxRetries: 0 }).catch((e) => e)).attempts).toBe(1);
  });

  it('gives up when Retry-After exceeds the remaining total budget, throwing the 429 with its wait', async () => {
    const { client, clock } = setup({ totalTimeoutMs: 5000, autoAdvanceUpToMs: 3000 });
    server.respond(err(429, { 'retry-after': '3' }), err(429, { 'retry-after': '3' }));
    const error = await client.credits.get().catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryAfterMs: 3000, attempts: 2 });
    expect(clock.sleeps).toContain(3000);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a connection reset, and the answer says the broken attempt may have been billed', async () => {
    const { client } = setup();
    server.respond(reset, ok);
    expect(await client.credits.get()).toMatchObject({ attempts: 2, earlierAttemptsMayHaveBilled: true });
    // An error answer comes before any work: a success after it hides nothing.
    server.reset();
    server.respond(err(503), ok);
    expect(await client.credits.get()).toMatchObject({ attempts: 2, earlierAttemptsMayHaveBilled: false });
    server.reset();
    server.respond(ok);
    expect(await client.credits.get()).toMatchObject({ attempts: 1, earlierAttemptsMayHaveBilled: false });
  });

  it('reports a connection failure with its code when retries run out', async () => {
    const { client } = setup({ maxRetries: 1 });
    server.respond(reset, reset);
    const error = await client.credits.get().catch((e) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(error.attempts).toBe(2);
    expect(error.causeCode).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it('tells, over every attempt, whether OpenRouter may have billed the call', async () => {
    // Error responses are sent before any work: not billed, however many.
    const refused = setup({ maxRetries: 1 });
    server.respond(err(502), err(503));
    expect(await refused.client.credits.get().catch((e) => e)).toMatchObject({
      attempts: 2,
      mayHaveBilled: false,
    });
    // A reset may come after the work began; the later 503 does not undo that.
    server.reset();
    const broken = setup({ maxRetries: 1 });
    server.respond(reset, err(503));
    expect(await broken.client.credits.get().catch((e) => e)).toMatchObject({
      attempts: 2,
      mayHaveBilled: true,
    });
    // Nothing listening: no attempt ever reached OpenRouter.
    const nowhere = createOpenRouterClient({
      apiKey: 'sk-or-v1-retrytest',
      baseUrl: 'http://127.0.0.1:1/api/v1',
      clock: createFakeClock({ autoAdvanceUpToMs: 130_000 }),
      retry: { jitter: 'none' },
      maxRetries: 2,
    });
    const unreachable = await nowhere.credits.get().catch((e) => e);
    expect(isConnectionError(unreachable)).toBe(true);
    expect(unreachable).toMatchObject({ attempts: 3, causeCode: 'ECONNREFUSED', mayHaveBilled: false });
    // A 524 is the edge giving up on a request that may still run, and bill, behind it.
    server.reset();
    const edge = setup({ maxRetries: 0 });
    server.respond(err(524));
    expect(await edge.client.credits.get().catch((e) => e)).toMatchObject({
      attempts: 1,
      mayHaveBilled: true,
    });
  });

  it('does not retry creating or deleting a key unless asked: a lost answer already did the work', async () => {
    const { client } = setup();
    const created = { data: { hash: 'h1', name: 'k' }, key: 'sk-or-v1-new' };
    server.respond(err(502), json(201, created));
    expect(await client.keys.create({ name: 'k' }).catch((e) => e)).toBeInstanceOf(Error);
    expect(server.requests).toHaveLength(1);
    server.reset();
    server.respond(err(502), json(200, { deleted: true }));
    expect(await client.keys.delete('h1').catch((e) => e)).toBeInstanceOf(Error);
    expect(server.requests).toHaveLength(1);
    // A caller who knows better may still ask for retries.
    server.reset();
    server.respond(err(502), json(200, { deleted: true }));
    expect((await client.keys.delete('h1', { maxRetries: 1 })).attempts).toBe(2);
  });

  it('does not retry a 2xx body cut off mid-way (the call was billed), and keeps its generation id', async () => {
    const { client, attempts } = setup();
    server.respond((_request, response, raw) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': '500',
        'x-generation-id': 'gen-cut',
      });
      response.write('{"data": {"total_cr', () => setTimeout(() => raw.socket.destroy(), 10));
    }, ok);
    const error = await client.credits.get().catch((e) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(error).toMatchObject({
      attempts: 1,
      responseStatus: 200,
      generationId: 'gen-cut',
      mayHaveBilled: true,
    });
    expect(attempts).toHaveLength(1);
  });

  it('retries a 402 only for the in-flight budget with Retry-After', async () => {
    const { client } = setup();
    server.respond(err(402, { 'retry-after': '1' }, { limit_source: 'openrouter_in_flight_budget' }), ok);
    expect((await client.credits.get()).attempts).toBe(2);
    server.respond(err(402, { 'retry-after': '1' }, { limit_source: 'openrouter_credits' }));
    const error = await client.credits.get().catch((e) => e);
    expect(isPaymentRequiredError(error)).toBe(true);
    expect(error).toMatchObject({ attempts: 1, limitSource: 'openrouter_credits' });
  });
});

describe('timeouts and aborts', () => {
  it('an attempt timeout fires on the injected clock (not retried by default)', async () => {
    const { client, clock } = setup({ timeoutMs: 5000, autoAdvanceUpToMs: 0 });
    server.respond(stall);
    const pending = client.credits.get().catch((e) => e);
    await clock.waitForSleep((ms) => ms === 5000);
    await untilRequests(1);
    clock.advance(5000);
    const error = await pending;
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ scope: 'attempt', timeoutMs: 5000, attempts: 1 });
  });

  it('an attempt timeout is retried when the policy says so', async () => {
    const { client, clock } = setup({
      timeoutMs: 5000,
      autoAdvanceUpToMs: 0,
      retry: { jitter: 'none', retryOnTimeout: true },
    });
    server.respond(stall, ok);
    const pending = client.credits.get();
    await clock.waitForSleep((ms) => ms === 5000);
    await untilRequests(1);
    clock.advance(5000);
    await clock.waitForSleep((ms) => ms === 500);
    clock.advance(500);
    expect((await pending).attempts).toBe(2);
  });

  it('the total timeout bounds the whole call', async () => {
    const { client, clock } = setup({ totalTimeoutMs: 8000, autoAdvanceUpToMs: 0 });
    server.respond(stall);
    const pending = client.credits.get().catch((e) => e);
    await clock.waitForSleep((ms) => ms === 8000);
    await untilRequests(1);
    clock.advance(8000);
    expect(await pending).toMatchObject({ code: 'timeout', scope: 'total' });
  });

  it('a caller abort rejects with AbortError and closes the connection', async () => {
    const { client } = setup({ autoAdvanceUpToMs: 0 });
    server.respond(stall);
    const controller = new AbortController();
    const pending = client.credits.get({ signal: controller.signal }).catch((e) => e);
    await untilRequests(1);
    controller.abort();
    const error = await pending;
    expect(isAbortError(error)).toBe(true);
    expect(error.attempts).toBe(1);
    for (let i = 0; i < 50 && server.closedConnections() === 0; i++)
      await new Promise((r) => setTimeout(r, 2));
    expect(server.closedConnections()).toBeGreaterThan(0);
  });

  it('refuses a body JSON cannot carry before sending anything, saying what to send instead', async () => {
    const { client } = setup();
    const cyclic: Record<string, unknown> = { model: 'm' };
    cyclic.self = cyclic;
    for (const body of [cyclic, { model: 'm', seed: 1n }]) {
      const error = await client.chat
        .create({ ...(body as object), messages: [] } as never)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClientConfigError);
      expect(error).toMatchObject({ attempts: 0, mayHaveBilled: false });
      expect((error as Error).message).toMatch(
        /^The body of POST \/chat\/completions cannot be sent as JSON \(.+\): send plain data/,
      );
    }
    expect(server.requests).toHaveLength(0);
  });

  it('never sends a call whose signal is already aborted: no attempt, nothing billed', async () => {
    const { client, attempts } = setup();
    const aborted = AbortSignal.abort();
    for (const call of [
      () => client.credits.get({ signal: aborted }),
      () =>
        client.chat.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { signal: aborted }),
    ]) {
      const error = await call().catch((e) => e);
      expect(isAbortError(error)).toBe(true);
      expect(error).toMatchObject({ attempts: 0, mayHaveBilled: false });
    }
    expect(server.requests).toHaveLength(0);
    expect(attempts).toHaveLength(0);
  });

  it('an abort during the backoff wait stops retrying', async () => {
    const { client, clock } = setup({ autoAdvanceUpToMs: 0 });
    server.respond(err(500), ok);
    const controller = new AbortController();
    const pending = client.credits.get({ signal: controller.signal }).catch((e) => e);
    await clock.waitForSleep((ms) => ms === 500);
    controller.abort();
    const error = await pending;
    expect(isAbortError(error)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe('bad per-call options', () => {
  const chat = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
  const badOptions: Array<[string, RequestOptions, RegExp]> = [
    [
      'a non-ASCII header value',
      { headers: { 'x-title': 'café ☕' } },
      /x-title.*U\+00E9.*encodeURIComponent/,
    ],
    ['a line break in a header value', { headers: { 'x-title': 'a\r\nb' } }, /x-title.*U\+000D.*line breaks/],
    ['an invalid header name', { headers: { 'x title': 'v' } }, /"x title" is not a valid header name/],
    ['timeoutMs 0', { timeoutMs: 0 }, /^timeoutMs \(per call\) must be .* got 0\./],
    ['timeoutMs -1', { timeoutMs: -1 }, /timeoutMs .* got -1/],
    ['timeoutMs NaN', { timeoutMs: Number.NaN }, /timeoutMs .* got NaN/],
    ['timeoutMs beyond what a timer can wait', { timeoutMs: 2 ** 31 }, /timeoutMs .* at most 2147483647/],
    ['totalTimeoutMs Infinity', { totalTimeoutMs: Number.POSITIVE_INFINITY }, /totalTimeoutMs .* Infinity/],
    ['maxRetries -1', { maxRetries: -1 }, /maxRetries \(per call\) must be a whole number/],
  ];

  it.each(badOptions)('refuses %s before sending, naming the fix', async (_what, options, message) => {
    const { client, attempts } = setup({ limiter: { maxConcurrent: 1 } });
    server.fallback = ok;
    for (const call of [
      () => client.credits.get(options),
      () => client.chat.create(chat, options),
      () => client.chat.stream(chat, options),
      () => client.forward.open({ method: 'GET', path: '/credits' }, options),
    ]) {
      const error = await call().catch((e) => e);
      expect(error).toBeInstanceOf(ClientConfigError);
      expect(error.message).toMatch(message);
      expect(error).toMatchObject({ attempts: 0, mayHaveBilled: false });
    }
    expect(server.requests).toHaveLength(0);
    expect(attempts).toHaveLength(0);
    expect(client.limiter?.active).toBe(0);
    server.fallback = err(404);
  });

  it('never echoes a header value (it may be a credential)', async () => {
    const { client } = setup();
    const error = await client.credits.get({ headers: { 'x-token': 'sëcret-value' } }).catch((e) => e);
    expect(error).toBeInstanceOf(ClientConfigError);
    expect(error.message).not.toContain('cret-value');
  });
});

describe('client-side limiter', () => {
  it('spaces calls by requestsPerMinute on the injected clock', async () => {
    const { client, clock } = setup({ limiter: { requestsPerMinute: 60 }, autoAdvanceUpToMs: 0 });
    server.fallback = ok;
    await client.credits.get();
    const second = client.credits.get();
    await clock.waitForSleep((ms) => ms === 1000);
    expect(server.requests).toHaveLength(1);
    expect(client.limiter?.queued).toBe(1);
    clock.advance(1000);
    await second;
    expect(server.requests).toHaveLength(2);
    server.fallback = err(404);
  });

  it('queued calls honour abort signals', async () => {
    const { client } = setup({ limiter: { maxConcurrent: 1 }, autoAdvanceUpToMs: 0 });
    server.respond(stall);
    const controller = new AbortController();
    const first = client.credits.get({ signal: controller.signal }).catch((e) => e);
    const queued = new AbortController();
    const second = client.credits.get({ signal: queued.signal }).catch((e) => e);
    await untilRequests(1);
    expect(client.limiter?.queued).toBe(1);
    queued.abort();
    expect(isAbortError(await second)).toBe(true);
    controller.abort();
    expect(isAbortError(await first)).toBe(true);
    expect(client.limiter?.active).toBe(0);
  });
});
