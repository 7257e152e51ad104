import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const ADMIN_KEY = 'admin-key-for-limits-0123456789';
let t: TestGateway;
let port: number;

beforeAll(async () => {
  t = await startTestGateway({
    config: {
      gateway: {
        adminKey: ADMIN_KEY,
        bodyLimitBytes: 4096,
        maxHeaderBytes: 2048,
        maxHeaders: 40,
        headersTimeoutMs: 400,
        requestTimeoutMs: 800,
        maxStreamsPerKey: 2,
        corsOrigins: ['https://app.example'],
      },
    },
  });
  port = t.gateway.port;
});
afterAll(async () => {
  await t.close();
});

const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });

/** Sends raw bytes and resolves with whatever the server answers before it closes the socket. */
function rawExchange(chunks: Array<string | { pauseMs: number }>, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(received)}`));
    }, timeoutMs);
    socket.on('data', (data) => {
      received += data.toString();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', () => undefined);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (typeof chunk === 'string') socket.write(chunk);
        else await new Promise((wake) => setTimeout(wake, chunk.pauseMs));
      }
    });
  });
}

describe('gateway limits', () => {
  it('refuses a body over the limit with 413', async () => {
    const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: chatBody({ padding: 'x'.repeat(8_000) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('refuses an inference call over its limits the same way, whether a browser sends it or not', async () => {
    // Without an Origin the call takes the gateway's own front door; with one (CORS is configured
    // here) it goes through the framework. Both must answer alike.
    for (const origin of [undefined, 'https://app.example']) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${ADMIN_KEY}`,
        'content-type': 'application/json',
        ...(origin ? { origin } : {}),
      };
      const large = await fetch(`${t.gateway.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: chatBody({ padding: 'x'.repeat(8_000) }),
      });
      expect(large.status).toBe(413);
      const many = { ...headers };
      for (let i = 0; i < 60; i++) many[`x-h${i}`] = '1';
      const crowded = await fetch(`${t.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: many,
        body: chatBody(),
      });
      expect(crowded.status).toBe(431);
      const empty = await fetch(`${t.gateway.url}/v1/chat/completions`, { method: 'POST', headers });
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/empty/);
    }
    // A body sent in chunks, with no length declared, is cut off at the limit as it arrives.
    const chunked = await rawExchange([
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n\r\n`,
      ...Array.from({ length: 5 }, () => `3e8\r\n${'x'.repeat(1000)}\r\n`),
      '0\r\n\r\n',
    ]);
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(chunked).toContain('payload_too_large');
  });

  it('refuses oversized headers and too many headers with 431', async () => {
    const big = await fetch(`${t.gateway.url}/healthz`, { headers: { 'x-big': 'y'.repeat(4_000) } });
    expect(big.status).toBe(431);
    expect(big.headers.get('x-tollgate-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await big.json()).toMatchObject({
      error: {
        code: 'headers_too_large',
        message: expect.stringMatching(/larger than this gateway accepts \(2048 bytes in all\)/),
      },
    });
    const headers: Record<string, string> = {};
    for (let i = 0; i < 60; i++) headers[`x-h${i}`] = '1';
    const many = await fetch(`${t.gateway.url}/healthz`, { headers });
    expect(many.status).toBe(431);
    expect(((await many.json()) as { error: { message: string } }).error.message).toMatch(
      /at most 40 headers/,
    );
  });

  it('disconnects a client that sends its headers too slowly (408)', async () => {
    const started = Date.now();
    const answer = await rawExchange([
      'GET /healthz HTTP/1.1\r\nHost: x\r\n',
      { pauseMs: 2_000 },
      'X-Late: 1\r\n\r\n',
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/"code":"request_timeout"/);
    expect(answer).toMatch(/did not arrive in time \(headers within 400 ms/);
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it.each([
    [
      'a Content-Length that is not a number',
      'Content-Length: ten\r\n',
      /Content-Length header is not valid/,
    ],
    [
      'Content-Length with chunked encoding',
      'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n',
      /Content-Length header is not valid|not valid HTTP/,
    ],
    ['a control character in a header', 'X-Bad: a\u0001b\r\n', /character HTTP does not allow/],
  ])(
    'answers a request the HTTP parser refuses (%s) with 400 and an OpenAI-shaped error',
    async (_, header, message) => {
      const answer = await rawExchange([`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${header}\r\n{}`]);
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toMatch(/\r\nX-Tollgate-Request-Id: [0-9a-f-]{36}\r\n/);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
        error: { code: string; message: string; request_id: string };
      };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.message).toMatch(message);
    },
  );

  it('disconnects a client that sends its body too slowly (408)', async () => {
    const answer = await rawExchange([
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n\r\n{"model":`,
      { pauseMs: 2_500 },
      'x'.repeat(190),
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('limits the concurrent streams of one key (429), and frees the slot when a stream ends', async () => {
    const created = await fetch(`${t.gateway.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'streams' }),
    });
    const { secret } = (await created.json()) as { secret: string };
    const open = (signal?: AbortSignal) =>
      fetch(`${t.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'x-simulator-fault': 'slow-stream;ms=50',
        },
        body: chatBody({ stream: true, max_tokens: 200 }),
        ...(signal ? { signal } : {}),
      });
    const controllers = [new AbortController(), new AbortController()];
    const first = await Promise.all(controllers.map((controller) => open(controller.signal)));
    expect(first.map((response) => response.status)).toEqual([200, 200]);
    const rowsBefore = (await t.gateway.ledger.reports.recent({ limit: 1000 })).length;
    const third = await open();
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
    // Refused before it was sent: no ledger row.
    expect((await t.gateway.ledger.reports.recent({ limit: 1000 })).length).toBe(rowsBefore);
    controllers[0]?.abort();
    await first[0]?.body?.cancel().catch(() => undefined);
    // The gateway notices the disconnect, records the row cancelled and frees the slot.
    let again: Response | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      again = await open();
      if (again.status === 200) break;
      await again.text();
      await new Promise((wake) => setTimeout(wake, 50));
    }
    expect(again?.status).toBe(200);
    await again?.body?.cancel();
    controllers[1]?.abort();
  });

  it('keeps CORS closed except for configured origins', async () => {
    const stranger = await fetch(`${t.gateway.url}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    // What Anthropic's SDK sends from a browser, on the Messages route.
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
    for (const header of ['x-api-key', 'anthropic-version', 'anthropic-dangerous-direct-browser-access']) {
      expect(allowed).toContain(header);
    }
  });
});
