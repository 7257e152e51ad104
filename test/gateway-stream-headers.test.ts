import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * An upstream that answers a stream's headers at once and its first event only later, as a
 * reasoning model behind a provider that sends no keep-alive comment may: the caller must get
 * its 200 straight away, not when the first chunk comes.
 */
const FIRST_EVENT_AFTER_MS = 400;
let upstream: Server;
let t: TestGateway;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-generation-id': 'gen-late-1' });
    res.flushHeaders();
    const chunk = (extra: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'gen-late-1', model: 'openai/gpt-4o-mini', provider: 'OpenAI', object: 'chat.completion.chunk', ...extra })}\n\n`;
    setTimeout(() => {
      res.end(
        chunk({ choices: [{ index: 0, delta: { content: 'late' }, finish_reason: 'stop' }] }) +
          chunk({
            choices: [],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, cost: 0.000001 },
          }) +
          'data: [DONE]\n\n',
      );
    }, FIRST_EVENT_AFTER_MS);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  t = await startTestGateway({ config: { openrouter: { baseUrl: `http://127.0.0.1:${port}/api/v1` } } });
});
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('a stream whose first event is slow', () => {
  it('gets its headers at once and its events when they come; the row has its generation id meanwhile', async () => {
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
    const headersAfter = Date.now() - started;
    expect(response.status).toBe(200);
    expect(headersAfter).toBeLessThan(FIRST_EVENT_AFTER_MS / 2);
    // Still waiting for the first event: the pending row already knows the generation, so a crash
    // now would leave an interrupted row that reconciliation can re-cost.
    const requestId = response.headers.get('x-tollgate-request-id') ?? '';
    const midStream = await t.gateway.context.ledger.getRequest(requestId);
    expect(midStream).toMatchObject({ status: 'pending', generationId: 'gen-late-1' });
    const text = await response.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(FIRST_EVENT_AFTER_MS - 20);
    expect(text).toContain('"content":"late"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
