import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttemptInfo,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  type ChatCompletionCreateParams,
  createOpenRouterClient,
  createPkceVerifier,
  InternalServerError,
  isAbortError,
  isConnectionError,
  isInvalidResponseError,
  isStreamError,
  isTruncatedStreamError,
  ModerationError,
  NotFoundError,
  type OpenRouterClient,
  PayloadTooLargeError,
  PaymentRequiredError,
  pkceChallenge,
  RateLimitError,
  RequestTimeoutError,
  ServiceUnavailableError,
} from '../src/client/index.ts';
import type { Clock } from '../src/shared/clock.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';

/**
 * The client against the simulator over real sockets. Client time is injected: sleeps up to two
 * minutes (back-offs, Retry-After) complete at once on a virtual clock, longer deadlines never fire.
 */
function autoClock(): Clock & { sleeps: number[] } {
  let now = Date.now();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (ms > 120_000) return;
        setImmediate(() => {
          if (signal?.aborted) return;
          signal?.removeEventListener('abort', onAbort);
          now += ms;
          resolve();
        });
      });
    },
  };
}

let sim: RunningSimulator;
let client: OpenRouterClient;
let admin: OpenRouterClient;
let clock: ReturnType<typeof autoClock>;
let attempts: AttemptInfo[];
let faultCounter = 0;

beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
  clock = autoClock();
  attempts = [];
  const common = { baseUrl: sim.url, clock, onAttempt: (info: AttemptInfo) => attempts.push(info) };
  client = createOpenRouterClient({ ...common, apiKey: createSimulatorKey() });
  admin = createOpenRouterClient({ ...common, apiKey: sim.managementKey });
});
afterAll(async () => {
  await client.close();
  await admin.close();
  await sim.close();
});

const params: ChatCompletionCreateParams = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the simulator.' }],
  max_tokens: 64,
};
/** A fault header with a unique id, so each test walks a fresh fault sequence. */
const fault = (spec: string) => ({ headers: { 'X-Simulator-Fault': `${spec};id=t${++faultCounter}` } });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
function attemptsSince(mark: number): AttemptInfo[] {
  return attempts.slice(mark);
}

describe('every client function against the simulator', () => {
  it('chat.create, then generation.get agrees on the cost', async () => {
    const result = await client.chat.create(params);
    expect(result.status).toBe(200);
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
    expect(result.generationId).toMatch(/^gen-/);
    expect(result.usage?.cost).toBeGreaterThan(0);
    const generation = await client.generation.get(result.generationId ?? '');
    expect(generation.data.id).toBe(result.generationId);
    expect(generation.data.total_cost).toBe(result.usage?.cost);
  });

  it('chat.stream delivers chunks, usage and a summary', async () => {
    const stream = await client.chat.stream(params);
    let chunks = 0;
    for await (const _chunk of stream) chunks++;
    const summary = await stream.finalResult();
    expect(chunks).toBeGreaterThan(1);
    expect(summary.text.length).toBeGreaterThan(0);
    expect(summary.usage?.cost).toBeGreaterThan(0);
    expect(summary.generationId).toMatch(/^gen-/);
    expect(summary.finishReason).toBe('stop');
  });

  it('completions, embeddings and the catalogue', async () => {
    const completion = await client.completions.create({
      model: 'openai/gpt-4o-mini',
      prompt: 'Once upon',
      max_tokens: 8,
    });
    expect(completion.text.length).toBeGreaterThan(0);

    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const first = models.data[0];
    if (!first) throw new Error('empty catalogue');
    expect((await client.models.count()).data.count).toBeGreaterThan(0);
    expect((await client.models.user()).data.length).toBeGreaterThan(0);
    expect((await client.models.get(first.id)).data.id).toBe(first.id);
    expect((await client.models.endpoints(first.id)).data.endpoints.length).toBeGreaterThan(0);
    expect((await client.models.parameters(first.id)).data.supported_parameters.length).toBeGreaterThan(0);
    expect((await client.providers.list()).data.length).toBeGreaterThan(0);

    const embeddingModels = await client.embeddings.models();
    const embeddingModel = embeddingModels.data[0];
    if (!embeddingModel) throw new Error('no embedding model');
    const embeddings = await client.embeddings.create({ model: embeddingModel.id, input: ['a', 'b'] });
    expect(embeddings.data.data).toHaveLength(2);
  });

  it('key, credits, keys CRUD and activity', async () => {
    expect((await client.key.get()).data.limit_remaining === undefined).toBe(false);
    expect((await admin.credits.get()).data.total_credits).toBeGreaterThan(0);
    const created = await admin.keys.create({ name: 'from-test', limit: 5 });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-or-v1-/);
    const hash = created.data.hash;
    expect((await admin.keys.get(hash)).data.name).toBe('from-test');
    expect((await admin.keys.update(hash, { disabled: true })).data.disabled).toBe(true);
    expect((await admin.keys.list({ include_disabled: true })).data.some((k) => k.hash === hash)).toBe(true);
    const deleted = await admin.keys.delete(hash);
    expect(deleted.data.deleted ?? deleted.data.data?.deleted).toBe(true);
    expect(Array.isArray((await admin.activity.list()).data)).toBe(true);
  });

  it('auth.exchangeCode with PKCE (the code minted through the raw transport)', async () => {
    const verifier = createPkceVerifier();
    const response = await client.transport.send({
      method: 'POST',
      path: '/auth/keys/code',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        callback_url: 'https://app.test/callback',
        code_challenge: pkceChallenge(verifier),
        code_challenge_method: 'S256',
      }),
    });
    expect(response.statusCode).toBe(200);
    const { data } = (await response.body.json()) as { data: { id: string } };
    const exchanged = await client.auth.exchangeCode({
      code: data.id,
      codeVerifier: verifier,
      codeChallengeMethod: 'S256',
    });
    expect(exchanged.data.key).toMatch(/^sk-or-v1-/);
  });
});

describe('every fault through the client', () => {
  const statusFaults: [string, new (...args: never[]) => Error, number][] = [
    ['400', BadRequestError, 1],
    ['401', AuthenticationError, 1],
    ['402', PaymentRequiredError, 1],
    ['403', ModerationError, 1],
    ['404', NotFoundError, 1],
    ['408', RequestTimeoutError, 3],
    ['413', PayloadTooLargeError, 1],
    ['429', RateLimitError, 3],
    ['500', InternalServerError, 3],
    ['502', BadGatewayError, 3],
    ['503', ServiceUnavailableError, 3],
  ];
  for (const [name, Class, expectedAttempts] of statusFaults) {
    it(`${name} → ${Class.name} after ${expectedAttempts} attempt(s)`, async () => {
      const error = await failure(client.chat.create(params, fault(name)));
      expect(error).toBeInstanceOf(Class);
      expect((error as { attempts: number }).attempts).toBe(expectedAttempts);
    });
  }

  it('402 carries limit_source, 403 the moderation details, 429 the retry and rate-limit headers', async () => {
    const payment = (await failure(client.chat.create(params, fault('402')))) as PaymentRequiredError;
    expect(payment.limitSource).toBe('openrouter_credits');
    const moderation = (await failure(client.chat.create(params, fault('403')))) as ModerationError;
    expect(moderation.reasons).toEqual(['harassment']);
    expect(moderation.modelSlug).toBe('openai/gpt-4o-mini');
    const limited = (await failure(
      client.chat.create(params, { ...fault('429'), maxRetries: 0 }),
    )) as RateLimitError;
    expect(limited.retryAfterMs).toBe(1000);
    expect(limited.rateLimit.limit).toBe(20);
  });

  it('retries honour Retry-After, then succeed', async () => {
    for (const name of ['429', '503']) {
      const mark = attempts.length;
      const sleepsBefore = clock.sleeps.length;
      const result = await client.chat.create(params, fault(`${name};times=1;ms=1500`));
      expect(result.attempts).toBe(2);
      expect(attemptsSince(mark).map((a) => a.delayMs)).toEqual([1500, undefined]);
      expect(clock.sleeps.slice(sleepsBefore)).toContain(1500);
    }
  });

  it('reset and stall are retried as connection failures', async () => {
    expect((await client.chat.create(params, fault('reset;times=1'))).attempts).toBe(2);
    expect((await client.chat.create(params, fault('stall;ms=20;times=1'))).attempts).toBe(2);
    const error = await failure(client.chat.create(params, fault('reset')));
    expect(isConnectionError(error)).toBe(true);
    expect((error as { attempts: number }).attempts).toBe(3);
  });

  it('a mid-stream error is a StreamError with the partial, never retried after the first byte', async () => {
    const mark = attempts.length;
    const stream = await client.chat.stream(params, fault('mid-stream-error'));
    const error = await failure(stream.finalResult());
    expect(isStreamError(error)).toBe(true);
    expect(attemptsSince(mark)).toHaveLength(1);
    const nonStreamed = await client.chat.create(params, fault('mid-stream-error;times=1'));
    expect(nonStreamed.finishReason).toBe('error');
    expect(nonStreamed.finishReasonError?.finishReason).toBe('error');
  });

  it('a truncated stream is a TruncatedStreamError; neither it nor a cut-off JSON body is retried', async () => {
    let mark = attempts.length;
    const stream = await client.chat.stream(params, fault('truncated-stream'));
    const error = await failure(stream.finalResult());
    expect(isTruncatedStreamError(error)).toBe(true);
    expect(attemptsSince(mark)).toHaveLength(1);
    mark = attempts.length;
    const cut = await failure(client.chat.create(params, fault('truncated-stream')));
    expect(isConnectionError(cut)).toBe(true);
    expect(cut).toMatchObject({ attempts: 1, responseStatus: 200 });
    expect((cut as { generationId?: string }).generationId).toMatch(/^gen-/);
    expect(attemptsSince(mark)).toHaveLength(1);
    expect(isInvalidResponseError(await failure(client.chat.create(params, fault('invalid-json'))))).toBe(
      true,
    );
  });

  it('finish reasons content_filter, length and error are surfaced, never silently passed on', async () => {
    for (const [name, reason] of [
      ['content-filter', 'content_filter'],
      ['length', 'length'],
      ['finish-error', 'error'],
    ] as const) {
      const result = await client.chat.create(params, fault(name));
      expect(result.finishReason).toBe(reason);
      expect(result.finishReasonError?.finishReason).toBe(reason);
      const streamed = await (await client.chat.stream(params, fault(name))).finalResult();
      expect(streamed.finishReason).toBe(reason);
      expect(streamed.finishReasonError?.finishReason).toBe(reason);
    }
    const finishError = await client.chat.create(params, fault('finish-error'));
    expect(finishError.nativeFinishReason).toBe('MALFORMED_FUNCTION_CALL');
  });

  it('provider fallback, slow first token and slow streams succeed', async () => {
    const fallback = await client.chat.create(params, fault('provider-fallback'));
    expect(fallback.attempts).toBe(1);
    const generation = await client.generation.get(fallback.generationId ?? '');
    expect(generation.data.provider_responses?.map((r) => r.status)).toEqual([429, 200]);
    const slow = await (await client.chat.stream(params, fault('slow-first-token;ms=30'))).finalResult();
    expect(slow.text.length).toBeGreaterThan(0);
    const paced = await (await client.chat.stream(params, fault('slow-stream;ms=2'))).finalResult();
    expect(paced.usage).toBeDefined();
  });
});

describe('cancellation', () => {
  it('a stream aborted by signal stops with AbortError and the simulator records it cancelled', async () => {
    const controller = new AbortController();
    const stream = await client.chat.stream(
      { ...params, max_tokens: 400 },
      { ...fault('slow-stream;ms=40'), signal: controller.signal },
    );
    let chunks = 0;
    const error = await failure(
      (async () => {
        for await (const _chunk of stream) if (++chunks === 2) controller.abort();
      })(),
    );
    expect(isAbortError(error)).toBe(true);
    expect((error as { partial?: { chunkCount: number } }).partial?.chunkCount).toBe(2);
    const id = stream.generationId ?? '';
    let cancelled: unknown;
    for (let i = 0; i < 100 && cancelled === undefined; i++) {
      cancelled = sim.state.generation(id)?.data.cancelled;
      if (cancelled === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(cancelled).toBe(true);
  });
});
