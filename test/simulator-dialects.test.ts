import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { at, type Completion, call, chat, contentOf, exactSum, json } from './simulator-helpers.ts';

/**
 * POST /responses (OpenAI Responses skin) and POST /messages (Anthropic skin): the wire contract
 * both sides of tollgate share, checked against a real simulator over loopback with raw fetch.
 */

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
});
afterAll(() => sim.close());

/** The payload shapes the tests read (cast from JSON). */
interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
  cost: number;
  is_byok: boolean;
  cost_details: {
    upstream_inference_cost: number | null;
    upstream_inference_input_cost: number;
    upstream_inference_output_cost: number;
  };
}

interface ResponseItem {
  type: string;
  id: string;
  status?: string;
  role?: string;
  content?: { type: string; text: string; annotations: unknown[] }[];
  summary?: { type: string; text: string }[];
  call_id?: string;
  name?: string;
  arguments?: string;
}

interface ResponseObject {
  id: string;
  object: string;
  created_at: number;
  completed_at: number | null;
  model: string;
  status: string;
  incomplete_details: { reason: string } | null;
  error: { code: string; message: string } | null;
  error_type?: string;
  output: ResponseItem[];
  output_text: string;
  usage: ResponseUsage;
  provider?: unknown;
}

interface ResponsesEvent {
  type: string;
  sequence_number: number;
  response?: ResponseObject;
  item?: ResponseItem;
  item_id?: string;
  output_index?: number;
  content_index?: number;
  delta?: string;
  text?: string;
  arguments?: string;
}

interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

interface ContentBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
}

interface AnthropicMessage {
  id: string;
  type: string;
  role: string;
  model: string;
  content: ContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

interface AnthropicError {
  type: string;
  error: { type: string; message: string; error_type: string };
  request_id: string;
  user_id?: unknown;
}

interface MessagesEvent {
  type: string;
  message?: AnthropicMessage;
  index?: number;
  content_block?: ContentBlock;
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    partial_json?: string;
    stop_reason?: string;
    stop_sequence?: null;
  };
  usage?: AnthropicUsage;
  error?: { type: string; message: string };
}

interface OpenRouterError {
  error: { code: number; message: string; metadata: { error_type: string } };
}

interface Post {
  key?: string;
  fault?: string;
}

function post(target: RunningSimulator, path: string, body: unknown, options: Post = {}): Promise<Response> {
  return call(target, path, {
    body,
    ...(options.key === undefined ? {} : { key: options.key }),
    headers: options.fault === undefined ? {} : { 'x-simulator-fault': options.fault },
  });
}

const responses = (body: Record<string, unknown>, options: Post = {}) =>
  post(sim, '/responses', { model: 'openai/gpt-4o-mini', input: 'Hello, simulator!', ...body }, options);
const messages = (body: Record<string, unknown>, options: Post = {}) =>
  post(
    sim,
    '/messages',
    {
      model: 'anthropic/claude-haiku-4.5',
      max_tokens: 300,
      messages: [{ role: 'user', content: 'Hello, simulator!' }],
      ...body,
    },
    options,
  );

interface SseEvent<T> {
  event: string | undefined;
  data: T;
}

/** Named-event SSE: every block `event: <type>\ndata: <json>`; comment blocks are kept apart. */
function parseEvents<T>(text: string): { comments: string[]; events: SseEvent<T>[]; raw: string[] } {
  const out = { comments: [] as string[], events: [] as SseEvent<T>[], raw: [] as string[] };
  for (const block of text.split('\n\n')) {
    if (block === '') continue;
    if (block.startsWith(':')) {
      out.comments.push(block.slice(1).trim());
      continue;
    }
    out.raw.push(block);
    let event: string | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    out.events.push({ event, data: JSON.parse(data) as T });
  }
  return out;
}

const names = <T>(events: SseEvent<T>[]) => events.map((e) => e.event);
/** The value, or a test failure (for optional fields the test expects to be there). */
function must<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

const billed = (key: string) => sim.state.account(key)?.totalUsageExact ?? '0';
const generation = (id: string) => {
  const record = sim.state.generation(id);
  if (record === undefined) throw new Error(`no generation ${id}`);
  return record;
};
const generationsOf = (key: string) =>
  sim.state.generations().filter((g) => g.userId === sim.state.account(key)?.userId);

async function waitForGeneration(
  target: RunningSimulator,
): Promise<ReturnType<RunningSimulator['state']['generations']>[number]> {
  for (let i = 0; i < 200; i++) {
    const found = target.state.generations().at(0);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no generation recorded');
}

const LOOKUP_TOOL = {
  name: 'lookup',
  description: 'Looks a word up',
  parameters: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 40 },
      limit: { type: 'integer', minimum: 1, maximum: 9 },
    },
    required: ['query', 'limit'],
  },
};

describe('POST /responses', () => {
  it('answers a plain request as a response object, billed exactly what usage.cost says', async () => {
    const key = 'responses-plain';
    const res = await responses({ instructions: 'Be brief.' }, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await json<ResponseObject>(res);
    expect(res.headers.get('x-generation-id')).toBe(body.id);
    expect(body.id).toMatch(/^gen-\d+-[A-Za-z0-9]{20}$/);
    expect(body).toMatchObject({
      object: 'response',
      model: 'openai/gpt-4o-mini',
      status: 'completed',
      incomplete_details: null,
      error: null,
    });
    expect(body.provider).toBeUndefined();
    expect(body.completed_at).toBeGreaterThanOrEqual(body.created_at);
    expect(body.output).toHaveLength(1);
    const message = at(body.output);
    expect(message).toMatchObject({ type: 'message', status: 'completed', role: 'assistant' });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([{ type: 'output_text', text: body.output_text, annotations: [] }]);

    // The same conversation through chat: same seeded answer, same prompt, same price.
    const twin = await json<Completion>(
      await chat(
        sim,
        {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello, simulator!' },
          ],
        },
        { key: 'responses-plain-twin' },
      ),
    );
    expect(body.output_text).toBe(contentOf(twin));
    const usage = body.usage;
    expect(usage).toEqual({
      input_tokens: twin.usage.prompt_tokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: twin.usage.completion_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: twin.usage.prompt_tokens + twin.usage.completion_tokens,
      cost: twin.usage.cost,
      is_byok: false,
      cost_details: {
        upstream_inference_cost: null,
        upstream_inference_input_cost: twin.usage.cost_details.upstream_inference_prompt_cost,
        upstream_inference_output_cost: twin.usage.cost_details.upstream_inference_completions_cost,
      },
    });
    expect(usage.cost).toBeGreaterThan(0);
    expect(billed(key)).toBe(exactSum([usage.cost]));
    expect(
      exactSum([
        usage.cost_details.upstream_inference_input_cost,
        usage.cost_details.upstream_inference_output_cost,
      ]),
    ).toBe(exactSum([usage.cost]));
    const record = generation(body.id);
    expect(record.costExact).toBe(exactSum([usage.cost]));
    expect(record.data).toMatchObject({
      api_type: 'completions',
      streamed: false,
      finish_reason: 'stop',
      tokens_prompt: usage.input_tokens,
      tokens_completion: usage.output_tokens,
    });
  });

  it('shows reasoning as a summary item before the message, and counts it in output_tokens_details', async () => {
    const body = await json<ResponseObject>(
      await responses({ model: 'openai/gpt-5-mini', reasoning: { effort: 'low' } }),
    );
    const [reasoning, message] = body.output;
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text' }] });
    expect(reasoning?.id).toMatch(/^rs_/);
    expect(at(reasoning?.summary).text.length).toBeGreaterThan(10);
    expect(message?.type).toBe('message');
    const reasoningTokens = body.usage.output_tokens_details.reasoning_tokens;
    expect(reasoningTokens).toBeGreaterThan(0);
    expect(generation(body.id).data.native_tokens_reasoning).toBe(reasoningTokens);
    const hidden = await json<ResponseObject>(
      await responses({ model: 'openai/gpt-5-mini', reasoning: { effort: 'low', exclude: true } }),
    );
    expect(hidden.output.map((item) => item.type)).toEqual(['message']);
    expect(hidden.usage.output_tokens_details.reasoning_tokens).toBe(reasoningTokens);
  });

  it('streams typed events in order with contiguous sequence numbers, ending in response.completed', async () => {
    const key = 'responses-stream';
    const res = await responses({ stream: true }, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const { events, raw, comments } = parseEvents<ResponsesEvent>(text);
    expect(comments).toEqual(['OPENROUTER PROCESSING']);
    for (const block of raw) expect(block).toMatch(/^event: [a-z_.]+\ndata: \{.*\}$/);
    for (const [i, e] of events.entries()) {
      expect(e.data.type).toBe(e.event);
      expect(e.data.sequence_number).toBe(i);
    }
    const deltas = events.filter((e) => e.event === 'response.output_text.delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(names(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...deltas.map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = must(at(events).data.response);
    expect(created).toMatchObject({ object: 'response', status: 'in_progress', output: [], usage: null });
    expect(res.headers.get('x-generation-id')).toBe(created.id);
    const added = at(events, 2).data;
    expect(added).toMatchObject({
      output_index: 0,
      item: { type: 'message', status: 'in_progress', content: [] },
    });
    const itemId = must(added.item).id;
    expect(deltas.every((d) => d.data.item_id === itemId && d.data.content_index === 0)).toBe(true);
    const streamedText = deltas.map((d) => d.data.delta).join('');
    const final = must(at(events, events.length - 1).data.response);
    expect(final).toMatchObject({ id: created.id, status: 'completed', output_text: streamedText });
    expect(events.find((e) => e.event === 'response.output_text.done')?.data.text).toBe(streamedText);
    expect(events.find((e) => e.event === 'response.output_item.done')?.data.item).toEqual(at(final.output));

    // Streamed or not, the same answer, usage and price.
    const whole = await json<ResponseObject>(await responses({}, { key: 'responses-stream-twin' }));
    expect(streamedText).toBe(whole.output_text);
    expect(final.usage).toEqual(whole.usage);
    expect(final.usage.cost).toBeGreaterThan(0);
    expect(billed(key)).toBe(exactSum([final.usage.cost]));
    expect(generation(created.id).data).toMatchObject({
      streamed: true,
      cancelled: false,
      finish_reason: 'stop',
    });
  });

  it('calls a flat function tool, plain and streamed, and answers in words after function_call_output', async () => {
    const request = {
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Please lookup colour' }] },
      ],
      tools: [{ type: 'function', ...LOOKUP_TOOL }],
      tool_choice: { type: 'function', name: 'lookup' },
    };
    const body = await json<ResponseObject>(await responses(request));
    expect(body.status).toBe('completed');
    expect(body.output_text).toBe('');
    const item = at(body.output);
    expect(item).toMatchObject({ type: 'function_call', name: 'lookup', status: 'completed' });
    expect(item.id).toMatch(/^fc_/);
    expect(item.call_id).toMatch(/^call_/);
    const args = JSON.parse(must(item.arguments));
    expect(args.query.length).toBeGreaterThanOrEqual(40);
    expect(Number.isInteger(args.limit) && args.limit >= 1 && args.limit <= 9).toBe(true);
    expect(generation(body.id).data.finish_reason).toBe('tool_calls');

    const { events } = parseEvents<ResponsesEvent>(
      await (await responses({ ...request, stream: true })).text(),
    );
    expect(names(events).filter((n) => n !== 'response.function_call_arguments.delta')).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(at(events, 2).data.item).toMatchObject({ type: 'function_call', name: 'lookup', arguments: '' });
    const pieces = events.filter((e) => e.event === 'response.function_call_arguments.delta');
    expect(pieces.length).toBeGreaterThan(1);
    const streamedArgs = pieces.map((e) => e.data.delta).join('');
    expect(streamedArgs).toBe(item.arguments);
    expect(events.find((e) => e.event === 'response.function_call_arguments.done')?.data.arguments).toBe(
      streamedArgs,
    );
    expect(at(events, events.length - 1).data.response?.output[0]).toMatchObject({
      type: 'function_call',
      call_id: item.call_id,
      arguments: streamedArgs,
    });

    const followUp = await json<ResponseObject>(
      await responses({
        ...request,
        tool_choice: 'auto',
        input: [
          ...request.input,
          { type: 'function_call', call_id: item.call_id, name: 'lookup', arguments: item.arguments },
          { type: 'function_call_output', call_id: item.call_id, output: '{"colour":"blue"}' },
        ],
      }),
    );
    expect(at(followUp.output).type).toBe('message');
    expect(followUp.output_text).toMatch(/^Based on the tool result: /);
  });

  it('ends incomplete (max_output_tokens) when the cap is hit, streamed with response.incomplete', async () => {
    const body = await json<ResponseObject>(await responses({ max_output_tokens: 5 }));
    expect(body).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      completed_at: null,
    });
    expect(body.usage.output_tokens).toBe(5);
    expect(at(body.output).status).toBe('incomplete');
    expect(generation(body.id).data.finish_reason).toBe('length');
    const { events } = parseEvents<ResponsesEvent>(
      await (await responses({ max_output_tokens: 5, stream: true })).text(),
    );
    const last = at(events, events.length - 1);
    expect(last.event).toBe('response.incomplete');
    expect(last.data.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      usage: { output_tokens: 5 },
    });
    expect(names(events).filter((n) => n === 'response.completed')).toHaveLength(0);
  });

  it('refuses store: true and previous_response_id with 400 in OpenRouter’s envelope, unbilled', async () => {
    const key = 'responses-stateless';
    const stored = await responses({ store: true }, { key });
    expect(stored.status).toBe(400);
    expect(stored.headers.get('x-generation-id')).toBeNull();
    expect(await json<OpenRouterError>(stored)).toMatchObject({
      error: {
        code: 400,
        message: 'store must be false: this API is stateless',
        metadata: { error_type: 'invalid_request' },
      },
    });
    const chained = await responses({ previous_response_id: 'resp_123' }, { key });
    expect(chained.status).toBe(400);
    expect((await json<OpenRouterError>(chained)).error.message).toBe(
      'previous_response_id is not supported: send the full conversation in input',
    );
    expect((await responses({ store: false, previous_response_id: null }, { key })).status).toBe(200);
    expect(generationsOf(key)).toHaveLength(1);
  });

  it('falls back to the next of `models` after a 503 on the primary', async () => {
    const key = 'responses-fallback';
    const res = await responses(
      { model: 'openai/gpt-4o-mini', models: ['openai/gpt-4o'] },
      { key, fault: '503;times=1' },
    );
    expect(res.status).toBe(200);
    const body = await json<ResponseObject>(res);
    expect(body.model).toBe('openai/gpt-4o');
    expect(body.status).toBe('completed');
    const record = generation(body.id);
    expect(record.data.model).toBe('openai/gpt-4o');
    expect(record.data.provider_responses).toMatchObject([
      { status: 503, model_permaslug: expect.stringContaining('gpt-4o-mini') },
      { status: 200 },
    ]);
    expect(billed(key)).toBe(exactSum([body.usage.cost]));
    // Without fallbacks the 503 is the answer, in OpenRouter's envelope.
    const alone = await responses({}, { key, fault: '503' });
    expect(alone.status).toBe(503);
    expect(alone.headers.get('retry-after')).toBe('1');
    expect((await json<OpenRouterError>(alone)).error).toMatchObject({
      code: 503,
      metadata: { error_type: 'provider_overloaded' },
    });
  });

  it('mid-stream error: response.failed (error, error_type, usage) instead of the terminal event; not billed', async () => {
    const key = 'responses-mid-stream';
    const res = await responses({ stream: true }, { key, fault: 'mid-stream-error' });
    expect(res.status).toBe(200);
    const { events } = parseEvents<ResponsesEvent>(await res.text());
    const last = at(events, events.length - 1);
    expect(last.event).toBe('response.failed');
    expect(events.filter((e) => e.event === 'response.failed')).toHaveLength(1);
    expect(names(events)).not.toContain('response.completed');
    expect(events.some((e) => e.event === 'response.output_text.delta')).toBe(true);
    const failed = must(last.data.response);
    expect(failed).toMatchObject({
      status: 'failed',
      error: { code: 'server_error', message: 'Provider disconnected mid-stream (simulated)' },
      error_type: 'provider_unavailable',
      usage: { cost: 0 },
    });
    expect(failed.usage.output_tokens).toBeGreaterThan(0);
    expect(billed(key)).toBe('0');
    expect(generation(failed.id).data).toMatchObject({ finish_reason: 'error', total_cost: 0 });
    // Not streamed: a 200 whose response failed.
    const whole = await json<ResponseObject>(await responses({}, { key, fault: 'mid-stream-error' }));
    expect(whole).toMatchObject({ status: 'failed', error_type: 'provider_unavailable', usage: { cost: 0 } });
  });

  it('truncated-stream ends the stream before any terminal event; not billed', async () => {
    const key = 'responses-truncated';
    const { events } = parseEvents<ResponsesEvent>(
      await (await responses({ stream: true }, { key, fault: 'truncated-stream' })).text(),
    );
    expect(names(events).slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(events.some((e) => e.event === 'response.output_text.delta')).toBe(true);
    for (const terminal of [
      'response.completed',
      'response.incomplete',
      'response.failed',
      'response.output_item.done',
    ])
      expect(names(events)).not.toContain(terminal);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const cut = await responses({}, { key, fault: 'truncated-stream' });
    expect(cut.status).toBe(200);
    await expect(cut.text().then((t) => JSON.parse(t))).rejects.toThrow();
    expect(billed(key)).toBe('0');
  });

  it('content-filter ends incomplete (content_filter), billed; finish-error fails, free', async () => {
    const key = 'responses-finish-faults';
    const filtered = await json<ResponseObject>(await responses({}, { key, fault: 'content-filter' }));
    expect(filtered).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
    });
    expect(filtered.usage.cost).toBeGreaterThan(0);
    const failed = await json<ResponseObject>(await responses({}, { key, fault: 'finish-error' }));
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'server_error' }, usage: { cost: 0 } });
    expect(billed(key)).toBe(exactSum([filtered.usage.cost]));
    const { events } = parseEvents<ResponsesEvent>(
      await (await responses({ stream: true }, { fault: 'content-filter' })).text(),
    );
    expect(at(events, events.length - 1).event).toBe('response.incomplete');
  });

  it('shares the transport faults and provider-fallback with chat', async () => {
    await expect(responses({}, { fault: 'reset' })).rejects.toThrow();
    const broken = await responses({}, { fault: 'invalid-json' });
    expect(broken.status).toBe(200);
    await expect(broken.text().then((t) => JSON.parse(t))).rejects.toThrow();
    const moved = await json<ResponseObject>(await responses({}, { fault: 'provider-fallback' }));
    expect(generation(moved.id).data.provider_responses).toMatchObject([
      { provider_name: 'OpenAI', status: 429 },
      { provider_name: 'Azure', status: 200 },
    ]);
  });
});

describe('POST /messages', () => {
  it('answers an Anthropic message: uncached input_tokens, no cost, billed as /generation says', async () => {
    const key = 'messages-plain';
    const res = await messages({}, { key });
    expect(res.status).toBe(200);
    const body = await json<AnthropicMessage>(res);
    expect(res.headers.get('x-generation-id')).toBe(body.id);
    expect(body.id).toMatch(/^gen-/);
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'anthropic/claude-haiku-4.5',
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    const twin = await json<Completion>(
      await chat(
        sim,
        { model: 'anthropic/claude-haiku-4.5', max_tokens: 300 },
        { key: 'messages-plain-twin' },
      ),
    );
    expect(body.content).toEqual([{ type: 'text', text: contentOf(twin) }]);
    expect(body.usage).toEqual({
      input_tokens: twin.usage.prompt_tokens,
      output_tokens: twin.usage.completion_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect('cost' in body.usage).toBe(false);
    const record = generation(body.id);
    expect(record.costUsd).toBe(twin.usage.cost);
    expect(billed(key)).toBe(record.costExact);
    expect(record.data).toMatchObject({
      api_type: 'completions',
      tokens_prompt: body.usage.input_tokens,
      tokens_completion: body.usage.output_tokens,
      provider_name: 'Anthropic',
    });
  });

  it('streams message_start, content blocks with one ping, message_delta with usage, message_stop; no [DONE]', async () => {
    const key = 'messages-stream';
    const res = await messages({ stream: true }, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const { events, raw } = parseEvents<MessagesEvent>(text);
    for (const block of raw) expect(block).toMatch(/^event: [a-z_]+\ndata: \{.*\}$/);
    for (const e of events) expect(e.data.type).toBe(e.event);
    const deltas = events.filter((e) => e.event === 'content_block_delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(names(events)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...deltas.map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = must(at(events).data.message);
    expect(res.headers.get('x-generation-id')).toBe(start.id);
    expect(start).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'anthropic/claude-haiku-4.5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
    });
    expect(at(events, 1).data).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    expect(deltas.every((d) => d.data.index === 0 && d.data.delta?.type === 'text_delta')).toBe(true);
    const streamed = deltas.map((d) => d.data.delta?.text).join('');
    const messageDelta = at(events, events.length - 2).data;
    expect(at(events, events.length - 1).data).toEqual({ type: 'message_stop' });

    const whole = await json<AnthropicMessage>(await messages({}, { key: 'messages-stream-twin' }));
    expect(streamed).toBe(at(whole.content).text);
    expect(messageDelta).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: whole.usage,
    });
    expect(start.usage).toEqual({ ...whole.usage, output_tokens: 0 });
    const record = generation(start.id);
    expect(record.data).toMatchObject({ streamed: true, tokens_completion: whole.usage.output_tokens });
    expect(billed(key)).toBe(record.costExact);
    expect(record.costUsd).toBeGreaterThan(0);
  });

  it('reports prompt caching the Anthropic way: input_tokens excludes cache reads and writes', async () => {
    const key = 'messages-cache';
    const policy = 'Policy text. '.repeat(400);
    const systemTokens = 4 + Math.ceil(policy.length / 4); // message framing + ~4 characters a token
    const request = (question: string, stream = false) =>
      messages(
        {
          model: 'anthropic/claude-sonnet-4.5',
          system: [{ type: 'text', text: policy, cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: question }],
          stream,
        },
        { key },
      );
    const first = await json<AnthropicMessage>(await request('First question?'));
    const firstRecord = generation(first.id);
    const firstPrompt = firstRecord.data.tokens_prompt as number;
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(systemTokens);
    expect(first.usage.input_tokens).toBe(firstPrompt - first.usage.cache_creation_input_tokens);

    const second = await json<AnthropicMessage>(await request('Second question?'));
    const secondRecord = generation(second.id);
    const u = second.usage;
    expect(u.cache_read_input_tokens).toBe(systemTokens);
    expect(secondRecord.data.native_tokens_cached).toBe(systemTokens);
    expect(u.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(u.input_tokens).toBe(
      (secondRecord.data.tokens_prompt as number) - u.cache_read_input_tokens - u.cache_creation_input_tokens,
    );
    expect(u.input_tokens).toBeLessThan(10);
    // Reading the cache is cheaper than the first call, which wrote it.
    expect(secondRecord.costUsd).toBeLessThan(firstRecord.costUsd);
    expect(billed(key)).toBe(exactSum([firstRecord.costUsd, secondRecord.costUsd]));

    const { events } = parseEvents<MessagesEvent>(await (await request('Second question?', true)).text());
    const startUsage = must(at(events).data.message).usage;
    expect(startUsage.cache_read_input_tokens).toBeGreaterThanOrEqual(systemTokens);
    expect(startUsage.output_tokens).toBe(0);
    expect(at(events, events.length - 2).data.usage).toMatchObject({
      input_tokens: startUsage.input_tokens,
      cache_read_input_tokens: startUsage.cache_read_input_tokens,
      cache_creation_input_tokens: startUsage.cache_creation_input_tokens,
    });
  });

  it('calls tools with input_schema (tool_use, stop_reason tool_use), streams input_json_delta, reads tool_result', async () => {
    const request = {
      tools: [{ name: 'lookup', description: LOOKUP_TOOL.description, input_schema: LOOKUP_TOOL.parameters }],
      tool_choice: { type: 'tool', name: 'lookup' },
    };
    const body = await json<AnthropicMessage>(await messages(request));
    expect(body.stop_reason).toBe('tool_use');
    const use = at(body.content);
    expect(use).toMatchObject({ type: 'tool_use', name: 'lookup' });
    expect(use.id).toMatch(/^toolu_/);
    expect(String(use.input?.query).length).toBeGreaterThanOrEqual(40);
    expect(Number.isInteger(use.input?.limit)).toBe(true);

    const { events } = parseEvents<MessagesEvent>(
      await (await messages({ ...request, stream: true })).text(),
    );
    expect(at(events, 1).data.content_block).toEqual({
      type: 'tool_use',
      id: use.id,
      name: 'lookup',
      input: {},
    });
    expect(at(events, 2).event).toBe('ping');
    const partial = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => {
        expect(e.data.delta?.type).toBe('input_json_delta');
        return e.data.delta?.partial_json;
      })
      .join('');
    expect(JSON.parse(partial)).toEqual(use.input);
    expect(at(events, events.length - 2).data.delta?.stop_reason).toBe('tool_use');

    const answer = await json<AnthropicMessage>(
      await messages({
        ...request,
        tool_choice: { type: 'auto' },
        messages: [
          { role: 'user', content: 'Please lookup colour' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: use.id, name: 'lookup', input: use.input }],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'blue' }] },
        ],
      }),
    );
    expect(answer.stop_reason).toBe('end_turn');
    expect(at(answer.content).text).toMatch(/^Based on the tool result: /);
  });

  it('maps thinking to reasoning: a thinking block (streamed as thinking_delta) before the text', async () => {
    const request = {
      model: 'anthropic/claude-sonnet-4.5',
      thinking: { type: 'enabled', budget_tokens: 2000 },
    };
    const body = await json<AnthropicMessage>(await messages(request));
    const [thinking, text] = body.content;
    expect(thinking?.type).toBe('thinking');
    expect(thinking?.thinking?.length).toBeGreaterThan(10);
    expect(typeof thinking?.signature).toBe('string');
    expect(text?.type).toBe('text');
    expect(generation(body.id).data.native_tokens_reasoning).toBeGreaterThan(0);
    const { events } = parseEvents<MessagesEvent>(
      await (await messages({ ...request, stream: true })).text(),
    );
    expect(at(events, 1).data.content_block?.type).toBe('thinking');
    const streamedThinking = events
      .filter((e) => e.data.delta?.type === 'thinking_delta')
      .map((e) => e.data.delta?.thinking)
      .join('');
    expect(streamedThinking).toBe(thinking?.thinking);
    const plain = await json<AnthropicMessage>(
      await messages({ ...request, thinking: { type: 'disabled' } }),
    );
    expect(plain.content.map((b) => b.type)).toEqual(['text']);
  });

  it('hits max_tokens with stop_reason max_tokens', async () => {
    const body = await json<AnthropicMessage>(await messages({ max_tokens: 6 }));
    expect(body.stop_reason).toBe('max_tokens');
    expect(body.usage.output_tokens).toBe(6);
    const { events } = parseEvents<MessagesEvent>(
      await (await messages({ max_tokens: 6, stream: true })).text(),
    );
    expect(at(events, events.length - 2).data.delta?.stop_reason).toBe('max_tokens');
  });

  it('maps content-filter to stop_reason refusal (billed) and finish-error to an error (free)', async () => {
    const key = 'messages-finish-faults';
    const refused = await json<AnthropicMessage>(await messages({}, { key, fault: 'content-filter' }));
    expect(refused.stop_reason).toBe('refusal');
    const refusedCost = generation(refused.id).costExact;
    const { events } = parseEvents<MessagesEvent>(
      await (await messages({ stream: true }, { key, fault: 'finish-error' })).text(),
    );
    expect(at(events, events.length - 1)).toMatchObject({
      event: 'error',
      data: { error: { type: 'api_error' } },
    });
    expect(names(events)).not.toContain('message_stop');
    expect(billed(key)).toBe(refusedCost);
  });

  it('refuses a request without max_tokens with a 400 in Anthropic’s envelope, unbilled', async () => {
    const key = 'messages-invalid';
    const res = await post(
      sim,
      '/messages',
      { model: 'anthropic/claude-haiku-4.5', messages: [{ role: 'user', content: 'Hi' }] },
      { key },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await json<AnthropicError>(res);
    expect(body).toEqual({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'max_tokens: Field required',
        error_type: 'invalid_request',
      },
      request_id: expect.stringMatching(/^req_[A-Za-z0-9]{24}$/),
    });
    expect(generationsOf(key)).toHaveLength(0);
    // Auth and body errors too.
    const anonymous = await call(sim, '/messages', { key: null, body: { max_tokens: 5, messages: [] } });
    expect(anonymous.status).toBe(401);
    expect((await json<AnthropicError>(anonymous)).error).toMatchObject({
      type: 'authentication_error',
      error_type: 'authentication',
    });
    const garbled = await fetch(`${sim.url}/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(garbled.status).toBe(400);
    expect((await json<AnthropicError>(garbled)).error.type).toBe('invalid_request_error');
  });

  it('answers status faults in Anthropic’s envelope with chat’s status and headers', async () => {
    const limited = await messages({ stream: true }, { fault: '429;ms=2000' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('retry-after-ms')).toBe('2000');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('20');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now());
    expect(limited.headers.get('x-generation-id')).toBeNull();
    const limitedBody = await json<AnthropicError>(limited);
    expect(limitedBody).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', error_type: 'rate_limit_exceeded' },
    });
    expect(limitedBody.error.message).toContain('rate-limited');
    expect(limitedBody.request_id).toMatch(/^req_/);
    expect(limitedBody.user_id).toBeUndefined();

    const down = await messages({}, { fault: '502' });
    expect(down.status).toBe(502);
    expect(await json<AnthropicError>(down)).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: 'Provider returned error', error_type: 'provider_unavailable' },
    });

    const expected: [string, number, string, string][] = [
      ['400', 400, 'invalid_request_error', 'invalid_request'],
      ['401', 401, 'authentication_error', 'authentication'],
      ['402', 402, 'billing_error', 'payment_required'],
      ['403', 403, 'permission_error', 'permission_denied'],
      ['404', 404, 'not_found_error', 'not_found'],
      ['413', 413, 'request_too_large', 'payload_too_large'],
      ['500', 500, 'api_error', 'server'],
      ['503', 503, 'overloaded_error', 'provider_overloaded'],
    ];
    for (const [fault, status, type, errorType] of expected) {
      const res = await messages({}, { key: 'messages-faults', fault });
      expect(res.status).toBe(status);
      expect((await json<AnthropicError>(res)).error).toMatchObject({ type, error_type: errorType });
      if (fault === '503') expect(res.headers.get('retry-after')).toBe('1');
    }
    expect(billed('messages-faults')).toBe('0');
  });

  it('falls back through `fallbacks: [{model}]` after a status fault on the primary', async () => {
    const body = await json<AnthropicMessage>(
      await messages(
        { fallbacks: [{ model: 'anthropic/claude-sonnet-4.5' }] },
        { fault: '503;times=1;id=fb' },
      ),
    );
    expect(body.model).toBe('anthropic/claude-sonnet-4.5');
    expect(generation(body.id).data.provider_responses).toMatchObject([{ status: 503 }, { status: 200 }]);
  });

  it('mid-stream error: an `error` event instead of message_delta/message_stop; not billed', async () => {
    const key = 'messages-mid-stream';
    const res = await messages({ stream: true }, { key, fault: 'mid-stream-error' });
    expect(res.status).toBe(200);
    const { events } = parseEvents<MessagesEvent>(await res.text());
    expect(names(events)).not.toContain('message_delta');
    expect(names(events)).not.toContain('message_stop');
    expect(events.some((e) => e.data.delta?.type === 'text_delta')).toBe(true);
    const last = at(events, events.length - 1);
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: 'Provider disconnected mid-stream (simulated)' },
    });
    const id = must(at(events).data.message).id;
    expect(generation(id).data).toMatchObject({ finish_reason: 'error', total_cost: 0 });
    // Not streamed: no in-band error in an Anthropic message, so an HTTP error (the call is recorded, free).
    const whole = await messages({}, { key, fault: 'mid-stream-error' });
    expect(whole.status).toBe(502);
    expect((await json<AnthropicError>(whole)).error).toMatchObject({
      type: 'api_error',
      error_type: 'provider_unavailable',
    });
    const wholeId = whole.headers.get('x-generation-id') ?? '';
    expect(generation(wholeId).data.total_cost).toBe(0);
    expect(billed(key)).toBe('0');
  });

  it('truncated-stream ends before message_delta and message_stop; not billed', async () => {
    const key = 'messages-truncated';
    const { events } = parseEvents<MessagesEvent>(
      await (await messages({ stream: true }, { key, fault: 'truncated-stream' })).text(),
    );
    expect(at(events).event).toBe('message_start');
    expect(events.some((e) => e.event === 'content_block_delta')).toBe(true);
    expect(names(events)).not.toContain('message_delta');
    expect(names(events)).not.toContain('message_stop');
    expect(billed(key)).toBe('0');
  });

  it('stops and bills only the tokens sent when the client disconnects mid-stream', async () => {
    const paced = await startSimulator({ tokensPerSecond: 100, generationLagMs: 0 });
    try {
      const key = 'messages-cancel';
      const request = {
        model: 'anthropic/claude-haiku-4.5',
        max_tokens: 400,
        messages: [{ role: 'user', content: 'Long please' }],
      };
      const res = await post(paced, '/messages', { ...request, stream: true }, { key });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      let text = '';
      while (!text.includes('text_delta')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      const record = await waitForGeneration(paced);
      expect(record.data).toMatchObject({ cancelled: true, streamed: true, finish_reason: null });
      const produced = Number(record.data.tokens_completion);
      expect(produced).toBeGreaterThan(0);
      const full = await json<AnthropicMessage>(
        await post(sim, '/messages', request, { key: 'messages-cancel-full' }),
      );
      expect(produced).toBeLessThan(full.usage.output_tokens);
      const fullCost = generation(full.id).costUsd;
      expect(record.costUsd).toBeGreaterThan(0);
      expect(record.costUsd).toBeLessThan(fullCost);
      expect(paced.state.account(key)?.totalUsageExact).toBe(record.costExact);
    } finally {
      await paced.close();
    }
  });

  it('paces like chat: slow-first-token delays the first content block', async () => {
    const started = Date.now();
    const res = await messages({ stream: true }, { fault: 'slow-first-token;ms=150' });
    const { events } = parseEvents<MessagesEvent>(await res.text());
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(at(events, events.length - 1).event).toBe('message_stop');
  });
});
