import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * An upstream that sends a stream's last events and [DONE] in one write, then takes its time to
 * end the response. The gateway holds [DONE] until the body has ended and the row is committed;
 * the events before it in the same read must not wait for that, idle or busy.
 */
const END_AFTER_MS = 400;
let upstream: Server;
let t: TestGateway;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-generation-id': 'gen-slow-end-1' });
    const chunk = (extra: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'gen-slow-end-1', model: 'openai/gpt-4o-mini', provider: 'OpenAI', object: 'chat.completion.chunk', ...extra })}\n\n`;
    res.write(
      chunk({ choices: [{ index: 0, delta: { content: 'all' }, finish_reason: 'stop' }] }) +
        chunk({
          choices: [],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, cost: 0.000001 },
        }) +
        'data: [DONE]\n\n',
    );
    setTimeout(() => res.end(), END_AFTER_MS);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  t = await startTestGateway({ config: { openrouter: { baseUrl: `http://127.0.0.1:${port}/api/v1` } } });
});
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => upstream.close(resolve));
});

/** When the usage event and [DONE] reached the caller, in ms from the request. */
async function arrivals(): Promise<{ usageMs: number; doneMs: number; requestId: string }> {
  const started = Date.now();
  const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'openai/gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  expect(response.status).toBe(200);
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  let usageMs = Number.NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (Number.isNaN(usageMs) && text.includes('"usage"')) usageMs = Date.now() - started;
  }
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  return {
    usageMs,
    doneMs: Date.now() - started,
    requestId: response.headers.get('x-tollgate-request-id') ?? '',
  };
}

describe('a stream whose end is slow after its [DONE]', () => {
  it('sends the events before [DONE] at once and [DONE] once the row is committed', async () => {
    const { usageMs, doneMs, requestId } = await arrivals();
    expect(usageMs).toBeLessThan(END_AFTER_MS / 2);
    expect(doneMs).toBeGreaterThanOrEqual(END_AFTER_MS - 20);
    expect(await t.gateway.context.ledger.getRequest(requestId)).toMatchObject({ status: 'ok' });
  });

  it('does the same when busy, where it keeps them for the rest of the turn only', async () => {
    // Busy: more calls in flight than the gateway's latency-first threshold.
    t.gateway.context.inFlight.calls += 10;
    try {
      const { usageMs, doneMs } = await arrivals();
      expect(usageMs).toBeLessThan(END_AFTER_MS / 2);
      expect(doneMs).toBeGreaterThanOrEqual(END_AFTER_MS - 20);
    } finally {
      t.gateway.context.inFlight.calls -= 10;
    }
  });
});
