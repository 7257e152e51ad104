import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../shared/wire/index.ts';
import { createOpenRouterClient, type OpenRouterClient } from './client.ts';
import {
  isAbortError,
  isInvalidResponseError,
  isStreamError,
  isTimeoutError,
  isTruncatedStreamError,
} from './error-guards.ts';
import { BadGatewayError, BadRequestError } from './errors.ts';
import { createFakeClock, type FakeClock } from './test-support/fake-clock.ts';
import { json, sse, startTestServer, type TestServer } from './test-support/test-server.ts';
import type { AttemptInfo } from './types.ts';

const FIXTURES = new URL('../shared/fixtures/', new URL('../../', import.meta.url));
const completion = JSON.parse(
  readFileSync(new URL('chat-completion-gemini-flash.json', FIXTURES), 'utf8'),
) as {
  id: string;
  model: string;
  provider: string;
  usage: Record<string, unknown>;
  choices: { message: { content: string } }[];
};
const content = completion.choices[0]?.message.content ?? '';
const head = {
  id: completion.id,
  provider: completion.provider,
  model: completion.model,
  object: 'chat.completion.chunk',
  created: 1,
};
const frame = (payload: Record<string, unknown>, eol = '\n') =>
  `data: ${JSON.stringify({ ...head, ...payload })}${eol}${eol}`;
const delta = (d: Record<string, unknown>, finish: string | null = null) =>
  frame({
    choices: [
      { index: 0, delta: { role: 'assistant', ...d }, finish_reason: finish, native_finish_reason: finish },
    ],
  });
const usageFrame = (choices: unknown[] = [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }]) =>
  frame({ choices, usage: completion.usage });
const tokens = content.match(/.{1,3}/gu) ?? [];
const contentFrames = tokens.map((t, i) => delta({ content: t }, i === tokens.length - 1 ? 'stop' : null));
const fullStream = [': OPENROUTER PROCESSING\n\n', ...contentFrames, usageFrame(), 'data: [DONE]\n\n'];

let server: TestServer;
let client: OpenRouterClient;
let clock: FakeClock;
let attempts: AttemptInfo[];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  clock = createFakeClock({ autoAdvanceUpToMs: 130_000 });
  attempts = [];
  client = createOpenRouterClient({
    apiKey: 'sk-or-v1-streamtest',
    baseUrl: server.baseUrl,
    clock,
    retry: { jitter: 'none' },
    onAttempt: (info) => attempts.push(info),
  });
});

const request = {
  model: 'google/gemini-2.5-flash',
  messages: [{ role: 'user' as const, content: 'Привет' }],
};
async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
async function untilClosed(): Promise<void> {
  for (let i = 0; i < 500 && server.closedConnections() === 0; i++)
    await new Promise((r) => setTimeout(r, 2));
}

describe('chat.stream', () => {
  it('yields typed chunks, skips comments, ends at [DONE] and summarises', async () => {
    server.respond(sse(fullStream));
    const stream = await client.chat.stream(request);
    const chunks = await collect(stream);
    expect(JSON.parse(server.requests[0]?.body ?? '{}')).toMatchObject({
      stream: true,
      model: 'google/gemini-2.5-flash',
    });
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    expect(chunks).toHaveLength(tokens.length + 1);
    const result = await stream.finalResult();
    expect(result).toMatchObject({
      id: completion.id,
      model: completion.model,
      provider: completion.provider,
      text: content,
      finishReason: 'stop',
      nativeFinishReason: 'stop',
      sawDone: true,
      commentCount: 1,
      chunkCount: tokens.length + 1,
      generationId: 'gen-stream-1',
      attempts: 1,
      status: 200,
      finishReasonError: undefined,
    });
    expect(result.usage?.cost).toBe(0.0009056);
    expect(result.timeToFirstChunkMs).toBeGreaterThanOrEqual(0);
  });

  it('ends at [DONE] even when the server keeps the connection open', async () => {
    server.respond(sse(fullStream, { end: false }));
    const result = await (await client.chat.stream(request)).finalResult();
    expect(result).toMatchObject({ text: content, sawDone: true });
  });

  it('accepts the three usage-chunk variants and CRLF framing', async () => {
    const variants = [
      [],
      [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }],
      [{ index: 0, delta: {}, finish_reason: null }],
    ];
    for (const choices of variants) {
      server.respond(
        sse([...contentFrames, usageFrame(choices), 'data: [DONE]\n\n'].map((p) => p.replace(/\n/g, '\r\n'))),
      );
      const result = await (await client.chat.stream(request)).finalResult();
      expect(result).toMatchObject({ text: content, finishReason: 'stop', sawDone: true });
      expect(result.usage?.total_tokens).toBe(364);
    }
  });

  it('assembles tool calls and reasoning from fragments', async () => {
    const call = (index: number, fn: Record<string, unknown>, id?: string) => ({
      index,
      ...(id ? { id, type: 'function' } : {}),
      function: fn,
    });
    server.respond(
      sse([
        delta({ reasoning: 'Need ', reasoning_details: [{ type: 'reasoning.text', text: 'Need ' }] }),
        delta({ reasoning: 'weather.' }),
        delta({ tool_calls: [call(0, { name: 'get_weather', arguments: '' }, 'call_a')] }),
        delta({ tool_calls: [call(1, { name: 'get_time', arguments: '{"tz"' }, 'call_b')] }),
        delta({ tool_calls: [call(0, { arguments: '{"city":' })] }),
        delta(
          { tool_calls: [call(0, { arguments: '"Boston"}' }), call(1, { arguments: ':"EST"}' })] },
          'tool_calls',
        ),
        usageFrame([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
        'data: [DONE]\n\n',
      ]),
    );
    const result = await (await client.chat.stream(request)).finalResult();
    expect(result.reasoning).toBe('Need weather.');
    expect(result.reasoningDetails).toEqual([{ type: 'reasoning.text', text: 'Need ' }]);
    expect(result.toolCalls).toEqual([
      {
        index: 0,
        id: 'call_a',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Boston"}' },
      },
      { index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":"EST"}' } },
    ]);
    expect(result.finishReason).toBe('tool_calls');
  });

  it('surfaces length / content_filter finish reasons on the result', async () => {
    server.respond(sse([delta({ content: 'cut' }, 'length'), usageFrame([]), 'data: [DONE]\n\n']));
    const result = await (await client.chat.stream(request)).finalResult();
    expect(result.finishReasonError).toMatchObject({ code: 'finish_reason', finishReason: 'length' });
  });

  it('joins the pieces of a streamed reasoning block, as a plain call returns it', async () => {
    const piece = (detail: Record<string, unknown>) => delta({ reasoning_details: [detail] });
    const text = { type: 'reasoning.text', format: 'anthropic-claude-v1', index: 0 };
    server.respond(
      sse([
        piece({ ...text, text: 'Let me ' }),
        piece({ ...text, text: 'think.' }),
        piece({ ...text, text: '', signature: 'sig-1' }),
        piece({ type: 'reasoning.encrypted', index: 1, data: 'opaque' }),
        delta({ content: 'Answer.' }, 'stop'),
        usageFrame(),
        'data: [DONE]\n\n',
      ]),
    );
    const stream = await client.chat.stream(request);
    for await (const _chunk of stream) {
      // Drain.
    }
    const result = await stream.finalResult();
    expect(result.reasoningDetails).toEqual([
      { ...text, text: 'Let me think.', signature: 'sig-1' },
      { type: 'reasoning.encrypted', index: 1, data: 'opaque' },
    ]);
  });

  it("keeps a choice's error on the finish-reason error, as the plain call does", async () => {
    const choiceError = {
      code: 502,
      message: 'Provider returned error',
      metadata: { error_type: 'provider_unavailable' },
    };
    const failed = [{ index: 0, delta: { content: '' }, finish_reason: 'error', error: choiceError }];
    server.respond(sse([delta({ content: 'part' }), usageFrame(failed), 'data: [DONE]\n\n']));
    const result = await (await client.chat.stream(request)).finalResult();
    expect(result.finishReasonError).toMatchObject({ finishReason: 'error', choiceError });
  });

  it('a mid-stream error throws StreamError carrying what was received, without retry', async () => {
    const errorChunk = frame({
      error: {
        code: 429,
        message: 'Rate limit exceeded',
        metadata: { error_type: 'rate_limit_exceeded', provider_code: 'rate_limited' },
      },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }],
    });
    server.respond(sse([...contentFrames.slice(0, 3), errorChunk]));
    const stream = await client.chat.stream(request);
    const seen: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((e) => e);
    expect(isStreamError(error)).toBe(true);
    expect(error).toMatchObject({
      errorCode: 429,
      errorType: 'rate_limit_exceeded',
      providerName: 'Google',
      generationId: completion.id,
    });
    expect(error.partial).toMatchObject({
      text: tokens.slice(0, 3).join(''),
      chunkCount: 4,
      model: completion.model,
      finishReason: 'error',
    });
    expect(seen).toHaveLength(3);
    await expect(stream.finalResult()).rejects.toBe(error);
    expect(server.requests).toHaveLength(1);
    expect(attempts).toHaveLength(1);
  });

  it('an error as the only event is a failure', async () => {
    server.respond(sse([frame({ error: { code: 502, message: 'Provider returned error' }, choices: [] })]));
    const error = await (await client.chat.stream(request)).finalResult().catch((e) => e);
    expect(isStreamError(error)).toBe(true);
    expect(error.partial.text).toBe('');
  });

  it('a stream ending without [DONE] or usage is truncated', async () => {
    server.respond(sse(contentFrames.slice(0, 2)));
    const error = await (await client.chat.stream(request)).finalResult().catch((e) => e);
    expect(isTruncatedStreamError(error)).toBe(true);
    expect(error.partial).toMatchObject({ text: tokens.slice(0, 2).join(''), chunkCount: 2, sawDone: false });
  });

  it('usage without [DONE] is complete; a dropped connection is truncated and never retried', async () => {
    server.respond(sse([...contentFrames, usageFrame()]));
    expect((await (await client.chat.stream(request)).finalResult()).sawDone).toBe(false);

    attempts.length = 0;
    server.respond(sse(contentFrames.slice(0, 2), { destroy: true }), sse(fullStream));
    const error = await (await client.chat.stream(request)).finalResult().catch((e) => e);
    expect(isTruncatedStreamError(error)).toBe(true);
    expect(error.partial.chunkCount).toBe(2);
    expect(attempts).toHaveLength(1);
  });

  it('retries pre-stream errors (JSON, before the first byte) and maps them', async () => {
    server.respond(
      json(429, { error: { code: 429, message: 'slow' } }, { 'retry-after': '1' }),
      sse(fullStream),
    );
    const stream = await client.chat.stream(request);
    expect(stream.attempts).toBe(2);
    expect((await stream.finalResult()).text).toBe(content);

    server.respond(json(400, { error: { code: 400, message: 'bad model' } }));
    await expect(client.chat.stream(request)).rejects.toBeInstanceOf(BadRequestError);

    server.respond(json(200, { error: { code: 502, message: 'upstream died' } }));
    await expect(client.chat.stream(request, { maxRetries: 0 })).rejects.toBeInstanceOf(BadGatewayError);
  });

  it('an abort signal mid-stream throws AbortError with the partial and closes the upstream', async () => {
    server.respond(sse(contentFrames.slice(0, 2), { end: false }));
    const controller = new AbortController();
    const stream = await client.chat.stream(request, { signal: controller.signal });
    const error = await (async () => {
      for await (const _chunk of stream) if (stream.summary.chunkCount === 2) controller.abort();
    })().catch((e) => e);
    expect(isAbortError(error)).toBe(true);
    expect(error.partial.chunkCount).toBe(2);
    await untilClosed();
    expect(server.closedConnections()).toBeGreaterThan(0);
  });

  it('break closes the upstream connection and the result rejects with AbortError', async () => {
    server.respond(sse(contentFrames.slice(0, 3), { end: false }));
    const stream = await client.chat.stream(request);
    for await (const _chunk of stream) break;
    await untilClosed();
    expect(server.closedConnections()).toBeGreaterThan(0);
    const error = await stream.finalResult().catch((e) => e);
    expect(isAbortError(error)).toBe(true);
    expect(error.partial.chunkCount).toBe(1);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('abort() before iterating closes the upstream', async () => {
    server.respond(sse(contentFrames.slice(0, 1), { end: false }));
    const stream = await client.chat.stream(request);
    stream.abort();
    await untilClosed();
    expect(server.closedConnections()).toBeGreaterThan(0);
    expect(isAbortError(await stream.finalResult().catch((e) => e))).toBe(true);
    // Reading it afterwards says why it ended.
    expect(isAbortError(await collect(stream).catch((e) => e))).toBe(true);
  });

  it('a stream nobody reads is closed after streamIdleTimeoutMs, freeing its limiter slot', async () => {
    clock = createFakeClock();
    client = createOpenRouterClient({
      baseUrl: server.baseUrl,
      clock,
      streamIdleTimeoutMs: 10_000,
      limiter: { maxConcurrent: 1 },
    });
    server.respond(sse(contentFrames.slice(0, 1), { end: false }), sse(fullStream));
    const unread = await client.chat.stream(request);
    const next = client.chat.stream(request);
    expect(client.limiter?.queued).toBe(1);
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 5));
    expect(client.limiter?.queued).toBe(1);
    clock.advance(1);
    // Bounded, so a slot that is never freed fails here rather than at the test's timeout.
    for (let i = 0; i < 500 && client.limiter?.queued !== 0; i++) await new Promise((r) => setTimeout(r, 2));
    expect(client.limiter?.queued).toBe(0);
    expect((await collect(await next)).length).toBe(contentFrames.length + 1);
    await untilClosed();
    expect(server.closedConnections()).toBeGreaterThan(0);
    const error = await unread.finalResult().catch((e) => e);
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ scope: 'idle', timeoutMs: 10_000, attempts: 1 });
    expect(await collect(unread).catch((e) => e)).toBe(error);
    expect(client.limiter?.active).toBe(0);
  });

  it('a stream being read runs past streamIdleTimeoutMs while chunks keep coming', async () => {
    clock = createFakeClock();
    client = createOpenRouterClient({ baseUrl: server.baseUrl, clock, streamIdleTimeoutMs: 10_000 });
    let write: (text: string) => void = () => {};
    server.respond((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.flushHeaders();
      write = (text) => response.write(text);
    });
    const stream = await client.chat.stream(request);
    const reading = collect(stream);
    for (const [i, piece] of contentFrames.slice(0, 3).entries()) {
      write(piece);
      for (let j = 0; j < 500 && stream.summary.chunkCount <= i; j++)
        await new Promise((r) => setTimeout(r, 2));
      clock.advance(6_000);
    }
    write(usageFrame());
    write('data: [DONE]\n\n');
    expect(await reading).toHaveLength(4);
    expect((await stream.finalResult()).sawDone).toBe(true);
  });

  it('a silent stream times out on the injected clock', async () => {
    clock = createFakeClock();
    client = createOpenRouterClient({ baseUrl: server.baseUrl, clock, streamIdleTimeoutMs: 10_000 });
    server.respond(sse(contentFrames.slice(0, 1), { end: false }));
    const stream = await client.chat.stream(request);
    const done = stream.finalResult().catch((e) => e);
    await clock.waitForSleep((ms) => ms === 10_000);
    for (let i = 0; i < 500 && stream.summary.chunkCount === 0; i++)
      await new Promise((r) => setTimeout(r, 2));
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 5));
    expect(stream.summary.chunkCount).toBe(1);
    clock.advance(1);
    const error = await done;
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ scope: 'idle', timeoutMs: 10_000 });
    expect(error.partial.chunkCount).toBe(1);
  });

  it('an unparseable chunk is an InvalidResponseError with the partial', async () => {
    server.respond(sse([contentFrames[0] ?? '', 'data: {not json\n\n']));
    const error = await (await client.chat.stream(request)).finalResult().catch((e) => e);
    expect(isInvalidResponseError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'sse', excerpt: '{not json' });
    expect(error.partial.chunkCount).toBe(1);
  });
});
