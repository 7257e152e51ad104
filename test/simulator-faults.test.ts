import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, SIMULATOR_FAULTS, startSimulator } from '../src/simulator/index.ts';
import {
  at,
  type Completion,
  call,
  chat,
  choiceOf,
  chunksOf,
  type ErrorBody,
  json,
  parseSse,
} from './simulator-helpers.ts';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0, stallMs: 150 });
});
afterAll(() => sim.close());

const billed = (key: string) => sim.state.account(key)?.totalUsage ?? 0;
const generationsOf = (key: string) =>
  sim.state.generations().filter((g) => g.userId === sim.state.account(key)?.userId);

const STATUS_FAULTS: [string, number, string][] = [
  ['400', 400, 'invalid_request'],
  ['401', 401, 'authentication'],
  ['402', 402, 'payment_required'],
  ['403', 403, 'permission_denied'],
  ['404', 404, 'not_found'],
  ['408', 408, 'timeout'],
  ['413', 413, 'payload_too_large'],
  ['429', 429, 'rate_limit_exceeded'],
  ['500', 500, 'server'],
  ['502', 502, 'provider_unavailable'],
  ['503', 503, 'provider_overloaded'],
];

describe('status faults', () => {
  for (const [fault, status, errorType] of STATUS_FAULTS) {
    it(`${fault}: error envelope with error_type ${errorType}, JSON even for streams, not billed`, async () => {
      const key = `fault-${fault}`;
      for (const stream of [false, true]) {
        const res = await chat(sim, { stream }, { key, fault });
        expect(res.status).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('x-generation-id')).toBeNull();
        const body = await json<ErrorBody>(res);
        expect(body.error).toMatchObject({ code: status, metadata: { error_type: errorType } });
        expect(typeof body.error.message).toBe('string');
        expect(body.user_id).toMatch(/^user_/);
      }
      expect(billed(key)).toBe(0);
      expect(generationsOf(key)).toHaveLength(0);
    });
  }

  it('403 carries the moderation metadata with flagged_input of at most 100 characters', async () => {
    const content = `Please flag this: ${'very long text '.repeat(20)}END`;
    const body = await json<ErrorBody>(
      await chat(sim, { messages: [{ role: 'user', content }] }, { fault: '403' }),
    );
    const meta = body.error.metadata;
    expect(meta).toMatchObject({
      reasons: ['harassment'],
      provider_name: 'OpenAI',
      model_slug: 'openai/gpt-4o-mini',
    });
    expect(String(meta.flagged_input).length).toBeLessThanOrEqual(100);
    expect(String(meta.flagged_input)).toMatch(/^Please flag this.*\.\.\..*END$/);
  });

  it('429 and 503 carry Retry-After; 429 also X-RateLimit-*; 402 names its limit_source; 502 its provider', async () => {
    const limited = await chat(sim, {}, { fault: '429;ms=2000' });
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('retry-after-ms')).toBe('2000');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('20');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now());
    expect((await chat(sim, {}, { fault: '503' })).headers.get('retry-after')).toBe('1');
    const credits = await json<ErrorBody>(await chat(sim, {}, { fault: '402' }));
    expect(credits.error.metadata.limit_source).toBe('openrouter_credits');
    const provider = await json<ErrorBody>(await chat(sim, {}, { fault: '502' }));
    expect(provider.error.metadata).toMatchObject({ provider_name: 'OpenAI' });
    expect(provider.error.metadata.raw).toBeDefined();
  });
});

describe('transport faults', () => {
  it('reset destroys the connection before any response', async () => {
    await expect(chat(sim, {}, { fault: 'reset' })).rejects.toThrow();
  });

  it('stall sends nothing, then drops the connection after stallMs (or ms=)', async () => {
    const started = Date.now();
    await expect(chat(sim, {}, { fault: 'stall' })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const quick = Date.now();
    await expect(chat(sim, {}, { fault: 'stall;ms=20' })).rejects.toThrow();
    expect(Date.now() - quick).toBeLessThan(140);
  });

  it('close() ends stalled connections at once', async () => {
    const other = await startSimulator({ stallMs: 60_000 });
    const pending = chat(other, {}, { fault: 'stall' });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await other.close();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('invalid-json answers 200 with a body that is not JSON, unbilled', async () => {
    const res = await chat(sim, {}, { key: 'invalid-json', fault: 'invalid-json' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(billed('invalid-json')).toBe(0);
  });
});

describe('in-band faults', () => {
  it('mid-stream-error (streamed): content, then an error chunk with finish_reason error, no usage, no [DONE]; not billed', async () => {
    const key = 'mid-stream';
    const res = await chat(sim, { stream: true }, { key, fault: 'mid-stream-error' });
    expect(res.status).toBe(200);
    const stream = parseSse(await res.text());
    expect(stream.done).toBe(false);
    const chunks = chunksOf(stream);
    const last = at(chunks, chunks.length - 1);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.some((c) => (at(c.choices).delta.content ?? '') !== '')).toBe(true);
    expect(last.error).toMatchObject({ code: 502, metadata: { error_type: 'provider_unavailable' } });
    expect(Number.isInteger(last.error?.code)).toBe(true);
    expect(at(last.choices).finish_reason).toBe('error');
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    expect(billed(key)).toBe(0);
    const [generation] = generationsOf(key);
    expect(generation?.data).toMatchObject({ finish_reason: 'error', total_cost: 0 });
  });

  it('mid-stream-error (non-streamed): 200 with choices[0].finish_reason error and choices[0].error', async () => {
    const body = await json<Completion>(await chat(sim, {}, { fault: 'mid-stream-error' }));
    expect(choiceOf(body).finish_reason).toBe('error');
    expect(choiceOf(body).error).toMatchObject({
      code: 502,
      metadata: { error_type: 'provider_unavailable' },
    });
    expect(body.usage.cost).toBe(0);
  });

  it('truncated-stream ends the stream without usage or [DONE], and cuts a JSON body mid-way; not billed', async () => {
    const key = 'truncated';
    const stream = parseSse(
      await (await chat(sim, { stream: true }, { key, fault: 'truncated-stream' })).text(),
    );
    expect(stream.done).toBe(false);
    expect(stream.chunks.length).toBeGreaterThan(0);
    expect(chunksOf(stream).every((c) => c.usage === undefined && at(c.choices).finish_reason === null)).toBe(
      true,
    );
    const res = await chat(sim, {}, { key, fault: 'truncated-stream' });
    expect(res.status).toBe(200);
    await expect(res.text().then((t) => JSON.parse(t))).rejects.toThrow();
    expect(billed(key)).toBe(0);
  });

  it('content-filter and length stop early and bill what was produced', async () => {
    for (const [fault, finish] of [
      ['content-filter', 'content_filter'],
      ['length', 'length'],
    ]) {
      const key = `billed-${fault}`;
      const normal = await json<Completion>(await chat(sim, {}, { key: `${key}-normal` }));
      const body = await json<Completion>(await chat(sim, {}, { key, fault }));
      expect(choiceOf(body).finish_reason).toBe(finish);
      expect(body.usage.completion_tokens).toBeLessThan(normal.usage.completion_tokens);
      expect(body.usage.cost).toBeGreaterThan(0);
      expect(billed(key)).toBe(body.usage.cost);
      const stream = chunksOf(parseSse(await (await chat(sim, { stream: true }, { fault })).text()));
      expect(at(at(stream, stream.length - 1).choices).finish_reason).toBe(finish);
    }
  });

  it('finish-error: finish_reason error, native MALFORMED_FUNCTION_CALL, no error object, not billed', async () => {
    const body = await json<Completion>(await chat(sim, {}, { key: 'finish-error', fault: 'finish-error' }));
    expect(choiceOf(body)).toMatchObject({
      finish_reason: 'error',
      native_finish_reason: 'MALFORMED_FUNCTION_CALL',
    });
    expect(choiceOf(body).error).toBeUndefined();
    expect(body.usage.cost).toBe(0);
    const stream = parseSse(await (await chat(sim, { stream: true }, { fault: 'finish-error' })).text());
    expect(stream.done).toBe(true);
    expect(chunksOf(stream).every((c) => c.error === undefined)).toBe(true);
  });

  it('provider-fallback serves from a second provider and records the 429 attempt', async () => {
    const body = await json<Completion>(await chat(sim, {}, { fault: 'provider-fallback' }));
    expect(body.provider).toBe('Azure');
    expect(body.usage.cost).toBeGreaterThan(0);
    const generation = sim.state.generation(body.id);
    expect(generation?.data.provider_responses).toMatchObject([
      { provider_name: 'OpenAI', status: 429 },
      { provider_name: 'Azure', status: 200 },
    ]);
  });

  it('slow-first-token and slow-stream delay the output', async () => {
    let started = Date.now();
    await (await chat(sim, { stream: true }, { fault: 'slow-first-token;ms=150' })).text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    started = Date.now();
    const text = await (
      await chat(sim, { stream: true, max_tokens: 16 }, { fault: 'slow-stream;ms=40' })
    ).text();
    const frames = parseSse(text).chunks.length - 1;
    expect(Date.now() - started).toBeGreaterThanOrEqual((frames - 1) * 40 - 10);
    started = Date.now();
    expect((await chat(sim, {}, { fault: 'slow-first-token;ms=100' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('fault control', () => {
  it('times=1 fails once and lets the retry (same header) succeed', async () => {
    const key = 'retry-key';
    const header = '503;times=1;ms=10';
    expect((await chat(sim, {}, { key, fault: header })).status).toBe(503);
    expect((await chat(sim, {}, { key, fault: header })).status).toBe(200);
    const sequence = '429;times=2,500;times=1';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(sim, {}, { key, fault: sequence })).status);
    expect(statuses).toEqual([429, 429, 500, 200]);
  });

  it('queues faults per key over HTTP and programmatically', async () => {
    const key = 'queue-key';
    const queued = await call(sim, '/simulator/faults', {
      key,
      body: { faults: ['502', { name: '429', ms: 5 }] },
    });
    expect(queued.status).toBe(200);
    sim.queueFaults(key, ['500']);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(sim, {}, { key })).status);
    expect(statuses).toEqual([502, 429, 500, 200]);
    expect((await call(sim, '/simulator/faults', { key, body: { faults: ['teapot'] } })).status).toBe(400);
  });

  it('rejects unknown fault names with a 400 that lists the known ones', async () => {
    const res = await chat(sim, {}, { fault: 'teapot' });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.message).toContain('mid-stream-error');
  });

  it('draws random faults by faultRate from the configured pool', async () => {
    const random = await startSimulator({ faultRate: 1, randomFaults: ['503'] });
    try {
      expect((await chat(random, {})).status).toBe(503);
    } finally {
      await random.close();
    }
    expect(SIMULATOR_FAULTS.length).toBeGreaterThanOrEqual(22);
  });
});
