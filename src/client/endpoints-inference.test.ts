import { describe, expect, it } from 'vitest';
import { isInvalidResponseError } from './error-guards.ts';
import { BadGatewayError } from './errors.ts';
import { fixture, TEST_KEY as KEY, useEndpointHarness } from './test-support/endpoint-harness.ts';
import { json, raw } from './test-support/test-server.ts';

const harness = useEndpointHarness();
const { lastRequest } = harness;

describe('chat.create', () => {
  it('posts the request and parses the fixture unchanged, with response metadata', async () => {
    const body = fixture('chat-completion-gemini-flash.json');
    harness.server.respond(
      json(200, body, { 'x-generation-id': 'gen-1772036036-03sYeRNNFhHlQjQZpj70', 'x-request-id': 'r1' }),
    );
    const result = await harness.client.chat.create({
      model: 'google/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Привет' }],
      temperature: 0.3,
      reasoning: { effort: 'low' },
    });
    const request = lastRequest();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.headers['http-referer']).toBe('https://tollgate.test');
    expect(request.headers['x-openrouter-title']).toBe('tollgate tests');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual({
      model: 'google/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Привет' }],
      temperature: 0.3,
      reasoning: { effort: 'low' },
      stream: false,
    });
    expect(result.body).toEqual(body);
    expect(result).toMatchObject({
      status: 200,
      text: 'Привет! Чем могу помочь?',
      finishReason: 'stop',
      nativeFinishReason: 'STOP',
      generationId: 'gen-1772036036-03sYeRNNFhHlQjQZpj70',
      requestId: 'r1',
      attempts: 1,
      finishReasonError: undefined,
    });
    expect(result.usage?.cost).toBe(0.0009056);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('tolerates leading whitespace before the JSON body', async () => {
    harness.server.respond(
      raw(200, `\n\n   \n${JSON.stringify(fixture('chat-completion-gemini-flash.json'))}`),
    );
    const result = await harness.client.chat.create({ messages: [{ role: 'user', content: 'hi' }] });
    expect(result.generationId).toBe('gen-1772036036-03sYeRNNFhHlQjQZpj70');
  });

  it('a 200 whose body is only {error} is an error', async () => {
    harness.server.respond(json(200, { error: { code: 502, message: 'Provider disconnected' } }));
    const error = await harness.client.chat
      .create({ messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 0 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BadGatewayError);
    expect(error).toMatchObject({ status: 502, httpStatus: 200 });
  });

  it('invalid JSON is an InvalidResponseError with status and a truncated excerpt', async () => {
    harness.server.respond(raw(200, `{"id": "gen-1", ${'x'.repeat(1000)}`));
    const error = await harness.client.chat
      .create({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(isInvalidResponseError(error)).toBe(true);
    expect(error).toMatchObject({ status: 200, reason: 'json' });
    expect(error.excerpt.length).toBeLessThanOrEqual(201);
    expect(error.excerpt.startsWith('{"id": "gen-1"')).toBe(true);
  });

  it('a body that does not match the schema is an InvalidResponseError', async () => {
    harness.server.respond(json(200, { id: 'gen-1', choices: 'nope' }));
    const error = await harness.client.chat
      .create({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'invalid_response', reason: 'schema' });
  });

  it('surfaces length, content_filter and in-band error finish reasons', async () => {
    const base = fixture('chat-completion-gemini-flash.json') as { choices: Record<string, unknown>[] };
    for (const reason of ['length', 'content_filter', 'error'] as const) {
      const choice = {
        ...base.choices[0],
        finish_reason: reason,
        ...(reason === 'error' ? { error: { code: 502, message: 'provider died' } } : {}),
      };
      harness.server.respond(json(200, { ...base, choices: [choice] }));
      const result = await harness.client.chat.create({ messages: [{ role: 'user', content: 'hi' }] });
      expect(result.finishReason).toBe(reason);
      expect(result.finishReasonError).toMatchObject({ code: 'finish_reason', finishReason: reason });
      if (reason === 'error') expect(result.finishReasonError?.choiceError?.message).toBe('provider died');
    }
  });
});

describe('other inference endpoints and auth', () => {
  it('embeddings.create', async () => {
    harness.server.respond(
      json(200, {
        object: 'list',
        model: 'openai/text-embedding-3-small',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
        usage: { prompt_tokens: 2, total_tokens: 2, cost: 0.00000004 },
      }),
    );
    const result = await harness.client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: ['a', 'b'],
    });
    expect(result.data.data[0]?.embedding).toEqual([0.1, 0.2]);
    expect(lastRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/embeddings',
      json: { input: ['a', 'b'] },
    });
  });

  it('legacy completions.create', async () => {
    harness.server.respond(
      json(200, {
        id: 'gen-legacy',
        object: 'text_completion',
        created: 1,
        model: 'openai/gpt-3.5-turbo-instruct',
        choices: [{ index: 0, text: 'Paris', finish_reason: 'length', logprobs: null }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
    const result = await harness.client.completions.create({
      model: 'openai/gpt-3.5-turbo-instruct',
      prompt: 'Capital of France:',
    });
    expect(result).toMatchObject({ text: 'Paris', finishReason: 'length', generationId: 'gen-legacy' });
    expect(result.finishReasonError?.finishReason).toBe('length');
    expect(lastRequest()).toMatchObject({
      url: '/api/v1/completions',
      json: { prompt: 'Capital of France:', stream: false },
    });
  });

  it('auth.exchangeCode', async () => {
    harness.server.respond(json(200, { key: 'sk-or-v1-user', user_id: 'user_1' }));
    const result = await harness.client.auth.exchangeCode({
      code: 'c0de',
      codeVerifier: 'v',
      codeChallengeMethod: 'S256',
    });
    expect(result.data.key).toBe('sk-or-v1-user');
    expect(lastRequest()).toMatchObject({
      method: 'POST',
      url: '/api/v1/auth/keys',
      json: { code: 'c0de', code_verifier: 'v', code_challenge_method: 'S256' },
    });
  });
});
