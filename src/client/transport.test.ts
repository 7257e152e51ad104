import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAbortError, isConnectionError, isTimeoutError } from './error-guards.ts';
import { createFakeClock } from './test-support/fake-clock.ts';
import { sse, stall, startTestServer, type TestServer } from './test-support/test-server.ts';
import { createOpenRouterTransport } from './transport.ts';

const KEY = 'sk-or-v1-transporttest';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('OpenRouterTransport', () => {
  it('forwards a request with the key injected, hop-by-hop headers and caller credentials dropped', async () => {
    const transport = createOpenRouterTransport({
      baseUrl: `${server.baseUrl}/`,
      apiKey: KEY,
      clock: createFakeClock(),
      headers: { 'HTTP-Referer': 'https://app.test', Authorization: 'Bearer default-should-go' },
    });
    server.respond(sse(['data: {"id":"gen-1"}\n\n', 'data: [DONE]\n\n']));
    const body = '{"model":"x","stream":true,"future_field":1}';
    const response = await transport.send({
      method: 'POST',
      path: '/chat/completions',
      query: { a: 1, skip: undefined },
      headers: {
        authorization: 'Bearer client-gateway-key',
        host: 'gateway.local',
        connection: 'close',
        'content-length': String(body.length),
        'content-type': 'application/json',
        'x-session-id': 's1',
      },
      body,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-generation-id']).toBe('gen-stream-1');
    // The body is the raw byte stream: a gateway pipes it on untouched.
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('data: {"id":"gen-1"}\n\ndata: [DONE]\n\n');
    const recorded = server.requests[0];
    expect(recorded?.url).toBe('/api/v1/chat/completions?a=1');
    expect(recorded?.body).toBe(body);
    expect(recorded?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(recorded?.headers['http-referer']).toBe('https://app.test');
    expect(recorded?.headers['x-session-id']).toBe('s1');
    expect(recorded?.headers.host).not.toBe('gateway.local');
    expect(recorded?.headers['user-agent']).toMatch(/^tollgate\//);
    await transport.close();
  });

  it('sends no authorization without a key; a path without a leading slash still lands under the base', async () => {
    const transport = createOpenRouterTransport({ baseUrl: server.baseUrl, clock: createFakeClock() });
    server.respond((_req, res) => res.end('{}'));
    await (await transport.send({ method: 'GET', path: 'models' })).body.text();
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.url).toBe('/api/v1/models');
    // The same path again, with a query, then without (its target is remembered): each as asked.
    server.respond((_req, res) => res.end('{}'));
    await (await transport.send({ method: 'GET', path: 'models', query: { category: 'x' } })).body.text();
    server.respond((_req, res) => res.end('{}'));
    await (await transport.send({ method: 'GET', path: 'models' })).body.text();
    expect(server.requests.map((request) => request.url)).toEqual([
      '/api/v1/models',
      '/api/v1/models?category=x',
      '/api/v1/models',
    ]);
    await transport.close();
  });

  it('times out waiting for headers on the injected clock, and honours abort signals', async () => {
    const clock = createFakeClock();
    const transport = createOpenRouterTransport({ baseUrl: server.baseUrl, apiKey: KEY, clock });
    server.respond(stall, stall);
    const timedOut = transport.send({ method: 'GET', path: '/models', timeoutMs: 1000 }).catch((e) => e);
    await clock.waitForSleep((ms) => ms === 1000);
    for (let i = 0; i < 500 && server.requests.length < 1; i++) await new Promise((r) => setTimeout(r, 2));
    clock.advance(1000);
    expect(await timedOut).toSatisfy(isTimeoutError);

    const controller = new AbortController();
    const aborted = transport
      .send({ method: 'GET', path: '/models', signal: controller.signal })
      .catch((e) => e);
    controller.abort();
    expect(await aborted).toSatisfy(isAbortError);
    await transport.close();
  });

  it('maps connection failures to ConnectionError with a code', async () => {
    const transport = createOpenRouterTransport({
      baseUrl: 'http://127.0.0.1:1/api/v1',
      apiKey: KEY,
      clock: createFakeClock(),
    });
    const error = await transport.send({ method: 'GET', path: '/models' }).catch((e) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(error.causeCode).toBe('ECONNREFUSED');
    await transport.close();
  });
});
