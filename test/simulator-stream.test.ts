import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/shared/clock.ts';
import { systemClock } from '../src/shared/clock.ts';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import {
  at,
  type Chunk,
  type Completion,
  chat,
  chunksOf,
  contentOf,
  exactSum,
  json,
  parseSse,
} from './simulator-helpers.ts';

let sim: RunningSimulator;
let sleeps = 0;
/** Counts sleeps: the zero-latency path must not create any timer. */
const countingClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => {
    sleeps++;
    return systemClock.sleep(ms, signal);
  },
};

beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0, clock: countingClock });
});
afterAll(() => sim.close());

const contentOfChunks = (chunks: Chunk[]) => chunks.map((c) => at(c.choices).delta.content ?? '').join('');

describe('streaming (§5)', () => {
  it('frames a stream like OpenRouter: comment, chunks, finish on the last content chunk, usage chunk, [DONE]', async () => {
    const request = {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Stream me a story.' }],
    };
    const res = await chat(sim, { ...request, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text.startsWith(': OPENROUTER PROCESSING\n\n')).toBe(true);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const stream = parseSse(text);
    expect(stream.done).toBe(true);
    const chunks = chunksOf(stream);
    const first = at(chunks);
    expect(res.headers.get('x-generation-id')).toBe(first.id);
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: first.id,
        provider: 'OpenAI',
        model: 'openai/gpt-4o-mini',
        object: 'chat.completion.chunk',
        created: first.created,
      });
      expect(c.choices).toHaveLength(1);
      expect(at(c.choices).delta.role).toBe('assistant');
    }
    const usageChunk = at(chunks, chunks.length - 1);
    const lastContent = at(chunks, chunks.length - 2);
    expect(chunks.slice(0, -2).every((c) => at(c.choices).finish_reason === null)).toBe(true);
    expect(at(lastContent.choices)).toMatchObject({ finish_reason: 'stop', native_finish_reason: 'stop' });
    expect(lastContent.usage).toBeUndefined();
    expect(at(usageChunk.choices)).toMatchObject({
      delta: { role: 'assistant', content: '' },
      finish_reason: 'stop',
    });
    expect(usageChunk.usage?.cost).toBeGreaterThan(0);
    // The same request unstreamed says the same thing and costs the same.
    const whole = await json<Completion>(await chat(sim, request));
    expect(contentOfChunks(chunks.slice(0, -1))).toBe(contentOf(whole));
    expect(usageChunk.usage?.cost).toBe(whole.usage.cost);
    expect(usageChunk.usage?.completion_tokens).toBe(whole.usage.completion_tokens);
    expect(sleeps).toBe(0);
  });

  it('streams reasoning deltas before the content', async () => {
    const chunks = chunksOf(
      parseSse(await (await chat(sim, { model: 'openai/gpt-5-mini', stream: true })).text()),
    );
    const reasoning = chunks.map((c) => at(c.choices).delta.reasoning ?? '').join('');
    expect(reasoning.length).toBeGreaterThan(10);
    const firstContent = chunks.findIndex((c) => (at(c.choices).delta.content ?? '') !== '');
    const lastReasoning = chunks.findLastIndex((c) => at(c.choices).delta.reasoning !== undefined);
    expect(lastReasoning).toBeLessThan(firstContent);
    const usage = at(chunks, chunks.length - 1).usage;
    expect(usage?.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it('streams tool calls as OpenAI-style fragments by index', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'lookup',
          parameters: {
            type: 'object',
            properties: { query: { type: 'string', minLength: 40 } },
            required: ['query'],
          },
        },
      },
    ];
    const chunks = chunksOf(parseSse(await (await chat(sim, { tools, stream: true })).text()));
    const fragments = chunks.flatMap((c) => at(c.choices).delta.tool_calls ?? []);
    expect(fragments.length).toBeGreaterThan(2);
    const head = at(fragments);
    expect(head).toMatchObject({ index: 0, type: 'function', function: { name: 'lookup' } });
    expect(head.id).toMatch(/^call_/);
    expect(fragments.slice(1).every((f) => f.id === undefined && f.index === 0)).toBe(true);
    const args = fragments.map((f) => f.function?.arguments ?? '').join('');
    expect(JSON.parse(args).query.length).toBeGreaterThanOrEqual(40);
    expect(at(at(chunks, chunks.length - 2).choices).finish_reason).toBe('tool_calls');
    expect(at(at(chunks, chunks.length - 1).choices).finish_reason).toBe('tool_calls');
  });
});

describe('paced streams', () => {
  it('waits firstTokenMs before the first token and paces by tokensPerSecond', async () => {
    const paced = await startSimulator({ firstTokenMs: 120, tokensPerSecond: 400 });
    try {
      const started = Date.now();
      const res = await chat(paced, { stream: true, max_tokens: 40 });
      const reader = res.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      const decoder = new TextDecoder();
      let text = '';
      let firstDataAt = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (firstDataAt === 0 && text.includes('data: {')) firstDataAt = Date.now();
      }
      const finishedAt = Date.now();
      expect(firstDataAt - started).toBeGreaterThanOrEqual(110);
      const chunks = chunksOf(parseSse(text));
      const tokens = at(chunks, chunks.length - 1).usage?.completion_tokens ?? 0;
      // Remaining tokens at 400/s after the first frame.
      expect(finishedAt - firstDataAt).toBeGreaterThanOrEqual(((tokens - 4) / 400) * 1000 - 20);
    } finally {
      await paced.close();
    }
  });

  it('stops generating when the client disconnects and bills only what was produced (cancelled: true)', async () => {
    const paced = await startSimulator({ tokensPerSecond: 100, generationLagMs: 0 });
    try {
      const key = 'cancel-key';
      const res = await chat(
        paced,
        { stream: true, max_tokens: 400, messages: [{ role: 'user', content: 'Long please' }] },
        { key },
      );
      expect(res.status).toBe(200);
      // Cancelling the body reader closes the connection mid-stream.
      const reader = res.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      let text = '';
      while (!text.includes('"content":"')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      let generation = paced.state.generations().at(0);
      for (let i = 0; i < 100 && generation === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        generation = paced.state.generations().at(0);
      }
      if (generation === undefined) throw new Error('no generation recorded');
      expect(generation.data.cancelled).toBe(true);
      expect(generation.data.streamed).toBe(true);
      const produced = Number(generation.data.tokens_completion);
      expect(produced).toBeGreaterThan(0);
      // The full answer would have been longer than what was sent before the disconnect.
      const full = await json<Completion>(
        await chat(sim, { max_tokens: 400, messages: [{ role: 'user', content: 'Long please' }] }),
      );
      expect(produced).toBeLessThan(full.usage.completion_tokens);
      expect(generation.costUsd).toBeGreaterThan(0);
      expect(generation.costUsd).toBeLessThan(full.usage.cost);
      expect(paced.state.account(key)?.totalUsageExact).toBe(exactSum([generation.costUsd]));
    } finally {
      await paced.close();
    }
  });
});
