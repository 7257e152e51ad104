import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyModuleProfile } from '../../metering/apply-profile.ts';
import { countInputImages, estimatePromptTokens, maxOutputTokens } from '../../pricing/index.ts';
import { messagesDialect } from './messages-dialect.ts';
import { NamedEventRelay } from './named-event-relay.ts';
import { responsesDialect } from './responses-dialect.ts';

function event(name: string, data: unknown, newline = '\n'): string {
  return `event: ${name}${newline}data: ${JSON.stringify(data)}${newline}${newline}`;
}

const response = {
  id: 'gen-7',
  object: 'response',
  model: 'openai/gpt-4o-mini',
  status: 'in_progress',
  output: [],
  usage: null,
};
const finalUsage = {
  input_tokens: 40,
  input_tokens_details: { cached_tokens: 10, cache_write_tokens: 0 },
  output_tokens: 12,
  output_tokens_details: { reasoning_tokens: 4 },
  total_tokens: 52,
  cost: 0.0000123,
  is_byok: false,
};

function responsesStream(newline = '\n'): string {
  return [
    event('response.created', { type: 'response.created', sequence_number: 0, response }, newline),
    event(
      'response.output_text.delta',
      { type: 'response.output_text.delta', sequence_number: 1, delta: 'Hé "usage" [DONE]' },
      newline,
    ),
    event(
      'response.completed',
      {
        type: 'response.completed',
        sequence_number: 2,
        response: { ...response, model: 'openai/gpt-4o', status: 'completed', usage: finalUsage },
      },
      newline,
    ),
  ].join('');
}

function messagesStream(): string {
  return [
    event('message_start', {
      type: 'message_start',
      message: {
        id: 'gen-9',
        model: 'anthropic/claude-sonnet-4',
        usage: {
          input_tokens: 7,
          output_tokens: 0,
          cache_creation_input_tokens: 100,
          cache_read_input_tokens: 20,
        },
      },
    }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text' } }),
    event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'x' },
    }),
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens' },
      usage: { output_tokens: 30 },
    }),
    event('message_stop', { type: 'message_stop' }),
  ].join('');
}

/** Pushes `text` cut at `cuts`; returns what went out at once, then what was held. */
function relayInPieces(relay: NamedEventRelay, text: string, cuts: number[]): { now: string; held: string } {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let now = '';
  let from = 0;
  for (const at of [...points, bytes.length]) {
    if (at <= from) continue;
    const out = relay.push(bytes.subarray(from, at));
    if (out) now += out.toString();
    from = at;
  }
  return { now, held: relay.drain().toString() };
}

const cleaned = (name: string) => `event: ${name}\ndata: {"clean":true}\n\n`;

describe('the named-event relay (Responses and Messages streams)', () => {
  it('forwards every byte, holds the terminal event until the commit, and reads the facts, however the bytes are cut', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom('\n', '\r\n'), (cuts, newline) => {
        const text = responsesStream(newline);
        const relay = new NamedEventRelay(responsesDialect.createEventReader(), cleaned);
        const { now, held } = relayInPieces(relay, text, cuts);
        expect(now + held).toBe(text);
        expect(held.startsWith(`event: response.completed${newline}`)).toBe(true);
        expect(relay.complete).toBe(true);
        expect(relay.facts).toMatchObject({
          id: 'gen-7',
          model: 'openai/gpt-4o',
          finishReason: 'stop',
          nativeFinishReason: 'completed',
          error: undefined,
        });
        expect(relay.facts.usage).toMatchObject({
          prompt_tokens: 40,
          completion_tokens: 12,
          prompt_tokens_details: { cached_tokens: 10 },
          completion_tokens_details: { reasoning_tokens: 4 },
          cost: 0.0000123,
        });
      }),
      { numRuns: 200 },
    );
  });

  it('reads events a server sends without event lines, by their data type', () => {
    const text = responsesStream().replace(/^event: .*\n/gm, '');
    const relay = new NamedEventRelay(responsesDialect.createEventReader(), cleaned);
    const { held } = relayInPieces(relay, text, []);
    expect(held).toContain('"type":"response.completed"');
    expect(relay.facts.usage?.prompt_tokens).toBe(40);
  });

  it('is not complete when the stream stops before its terminal event', () => {
    const text = responsesStream();
    const cut = text.indexOf('event: response.completed');
    const relay = new NamedEventRelay(responsesDialect.createEventReader(), cleaned);
    const { now, held } = relayInPieces(relay, text.slice(0, cut), []);
    expect(now).toBe(text.slice(0, cut));
    expect(held).toBe('');
    expect(relay.complete).toBe(false);
  });

  it('replaces an upstream error event and records the error; a failed response is also terminal', () => {
    const failed = event('response.failed', {
      type: 'response.failed',
      response: {
        ...response,
        status: 'failed',
        error: { code: 'server_error', message: 'provider said sk-secret' },
      },
    });
    const relay = new NamedEventRelay(responsesDialect.createEventReader(), (name, _data, error) =>
      responsesDialect.cleanErrorEvent(name, { response }, `safe (${String(error.code)})`),
    );
    const { now, held } = relayInPieces(relay, event('response.created', { response }) + failed, []);
    expect(now).toContain('response.created');
    expect(held).not.toContain('sk-secret');
    expect(held).toContain('"message":"safe (server_error)"');
    expect(relay.facts.error).toMatchObject({ code: 'server_error', message: 'provider said sk-secret' });
    expect(relay.facts.finishReason).toBe('error');
  });

  it("takes a Messages stream's usage from message_start and message_delta, in chat's terms", () => {
    const relay = new NamedEventRelay(messagesDialect.createEventReader(), cleaned);
    const { held } = relayInPieces(relay, messagesStream(), [17, 230]);
    expect(held).toBe(event('message_stop', { type: 'message_stop' }));
    expect(relay.facts).toMatchObject({
      id: 'gen-9',
      model: 'anthropic/claude-sonnet-4',
      finishReason: 'length',
      nativeFinishReason: 'max_tokens',
    });
    // Anthropic's input_tokens leaves the cache out; chat's prompt_tokens counts it.
    expect(relay.facts.usage).toMatchObject({
      prompt_tokens: 127,
      completion_tokens: 30,
      prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 100 },
    });
  });

  it('replaces a Messages error event with a clean one of the same type', () => {
    const relay = new NamedEventRelay(messagesDialect.createEventReader(), (name, data) =>
      messagesDialect.cleanErrorEvent(name, data, 'The AI service failed.'),
    );
    const upstream = event('error', {
      type: 'error',
      error: { type: 'overloaded_error', message: 'raw provider text' },
    });
    const { now } = relayInPieces(relay, upstream, []);
    expect(now).toBe(
      event('error', {
        type: 'error',
        error: { type: 'overloaded_error', message: 'The AI service failed.' },
      }),
    );
    expect(relay.facts.error).toMatchObject({ code: 'overloaded_error', message: 'raw provider text' });
    expect(relay.complete).toBe(false);
  });
});

describe('the Responses dialect at the meter', () => {
  const body = {
    model: 'openai/gpt-4o-mini',
    instructions: 'Be brief.',
    input: [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is in this picture?' },
          { type: 'input_image', image_url: 'https://x/y.png' },
        ],
      },
      { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{"at":"sky"}' },
      { type: 'function_call_output', call_id: 'c1', output: 'blue' },
    ],
    text: { format: { type: 'json_schema', name: 'a', schema: { type: 'object' } } },
  };

  it('shows the meter the conversation as chat messages: text, images, tool turns, the schema', () => {
    const view = responsesDialect.meteringView(body);
    expect(view.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ type: 'function', function: { name: 'look', arguments: '{"at":"sky"}' } }],
      },
      { role: 'tool', content: 'blue' },
    ]);
    expect(view.response_format).toEqual(body.text.format);
    expect(countInputImages(view)).toBe(1);
    const withoutSchema = responsesDialect.meteringView({ ...body, text: undefined });
    expect(estimatePromptTokens(view)).toBeGreaterThan(estimatePromptTokens(withoutSchema));
  });

  it("sends the meter's default output cap as max_output_tokens, and nothing of the view", () => {
    const view = responsesDialect.meteringView(body);
    const admitted = applyModuleProfile(view, { temperature: 0.2 }, 4096).request;
    const sent = responsesDialect.upstreamRequest(body, view, admitted);
    expect(sent).toEqual({ ...body, max_output_tokens: 4096, temperature: 0.2 });
  });

  it("sends a profile's cap as max_output_tokens, but never over the call's own", () => {
    const view = responsesDialect.meteringView(body);
    const admitted = applyModuleProfile(view, { max_completion_tokens: 50 }, 4096).request;
    expect(responsesDialect.upstreamRequest(body, view, admitted)).toEqual({
      ...body,
      max_output_tokens: 50,
    });

    const own = { ...body, max_output_tokens: 900 };
    const ownView = responsesDialect.meteringView(own);
    const profiled = applyModuleProfile(ownView, { max_completion_tokens: 50 }, 4096).request;
    expect(responsesDialect.upstreamRequest(own, ownView, profiled)).toBe(own);
  });

  it('does not take a chat cap in the body (which OpenRouter ignores here) for the output cap', () => {
    const chatCapped = { ...body, max_completion_tokens: 1, max_tokens: 2 };
    const view = responsesDialect.meteringView(chatCapped);
    const admitted = applyModuleProfile(view, undefined, 4096).request;
    expect(maxOutputTokens(admitted, 4096)).toBe(4096);
    expect(responsesDialect.upstreamRequest(chatCapped, view, admitted)).toEqual({
      ...chatCapped,
      max_output_tokens: 4096,
    });
  });

  it('caps a call whose max_output_tokens is null (no cap) like one that leaves it out', () => {
    const uncapped = { ...body, max_output_tokens: null };
    const view = responsesDialect.meteringView(uncapped);
    const admitted = applyModuleProfile(view, undefined, 4096).request;
    expect(responsesDialect.upstreamRequest(uncapped, view, admitted)).toEqual({
      ...body,
      max_output_tokens: 4096,
    });
  });

  it("leaves the caller's body alone when the meter changed nothing", () => {
    const capped = { ...body, max_output_tokens: 100 };
    const view = responsesDialect.meteringView(capped);
    expect(view.max_tokens).toBe(100);
    const admitted = applyModuleProfile(view, undefined, 4096).request;
    expect(responsesDialect.upstreamRequest(capped, view, admitted)).toBe(capped);
  });

  it('reads a whole response: usage, the finish reason of an incomplete answer, a failure', () => {
    const incomplete = responsesDialect.answerFacts({
      ...response,
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      usage: finalUsage,
    });
    expect(incomplete).toMatchObject({
      generationId: 'gen-7',
      finishReason: 'length',
      nativeFinishReason: 'max_output_tokens',
    });
    const toolCall = responsesDialect.answerFacts({
      ...response,
      status: 'completed',
      output: [{ type: 'function_call' }],
    });
    expect(toolCall.finishReason).toBe('tool_calls');
    const failed = responsesDialect.answerFacts({
      ...response,
      status: 'failed',
      error: { code: 'server_error', message: 'm' },
    });
    expect(failed.failure).toEqual({ message: 'm', status: 502 });
  });
});

describe('the Messages dialect at the meter', () => {
  const body = {
    model: 'anthropic/claude-sonnet-4',
    max_tokens: 300,
    system: [{ type: 'text', text: 'You are terse.' }],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
        ],
      },
    ],
    fallbacks: [{ model: 'openai/gpt-4o' }],
  };

  it('shows the meter the system prompt, the images and the fallbacks', () => {
    const view = messagesDialect.meteringView(body);
    expect(view.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe' },
          { type: 'image_url', image_url: { url: 'data:' } },
        ],
      },
    ]);
    expect(countInputImages(view)).toBe(1);
    expect(view.models).toEqual(['openai/gpt-4o']);
    expect(view.max_tokens).toBe(300);
  });

  it('counts `models` and `fallbacks` together: OpenRouter may try every one', () => {
    const view = messagesDialect.meteringView({ ...body, models: ['openai/gpt-4o-mini'] });
    expect(view.models).toEqual(['openai/gpt-4o-mini', 'openai/gpt-4o']);
    const capped = messagesDialect.meteringView({ ...body, max_completion_tokens: 1 });
    expect(maxOutputTokens(applyModuleProfile(capped, undefined, 4096).request, 4096)).toBe(300);
  });

  it("sends a profile's fallbacks as models", () => {
    const { fallbacks: _, ...plain } = body;
    const view = messagesDialect.meteringView(plain);
    const admitted = applyModuleProfile(view, { models: ['openai/gpt-4o'] }, 4096).request;
    expect(messagesDialect.upstreamRequest(plain, view, admitted)).toEqual({
      ...plain,
      models: ['openai/gpt-4o'],
    });
  });

  it('never sends the view upstream: the caller body goes as it came, plus what the meter added', () => {
    const view = messagesDialect.meteringView(body);
    const admitted = applyModuleProfile(view, { provider: { sort: 'price' } }, 4096).request;
    expect(messagesDialect.upstreamRequest(body, view, admitted)).toEqual({
      ...body,
      provider: { sort: 'price' },
    });
  });

  it("takes the end user from Anthropic's metadata.user_id when the body names none", () => {
    expect(messagesDialect.userOf({ metadata: { user_id: 'u-1' } })).toEqual({
      value: 'u-1',
      field: 'metadata.user_id',
      headerFirst: true,
    });
    expect(messagesDialect.userOf({ user: 'u-2', metadata: { user_id: 'u-1' } })).toEqual({
      value: 'u-2',
      field: 'user',
      headerFirst: false,
    });
  });

  it("sends the attributed user upstream in Anthropic's metadata.user_id, never as a top-level user", () => {
    expect(messagesDialect.withUser({ model: 'm' }, 'alice')).toEqual({
      model: 'm',
      metadata: { user_id: 'alice' },
    });
    const tagged = { model: 'm', metadata: { trace: 't' } };
    expect(messagesDialect.withUser(tagged, 'alice')).toEqual({
      model: 'm',
      metadata: { trace: 't', user_id: 'alice' },
    });
    expect(tagged.metadata).toEqual({ trace: 't' }); // the caller's body is not changed
    // The caller's own field stays as it came.
    const own = { model: 'm', metadata: { user_id: 'session-blob' } };
    expect(messagesDialect.withUser(own, 'alice')).toBe(own);
    expect(messagesDialect.withUser({ model: 'm', metadata: { user_id: null } }, 'alice')).toEqual({
      model: 'm',
      metadata: { user_id: 'alice' },
    });
    const top = { model: 'm', user: 'u' };
    expect(messagesDialect.withUser(top, 'alice')).toBe(top);
    expect(responsesDialect.withUser({ model: 'm' }, 'alice')).toEqual({ model: 'm', user: 'alice' });
  });

  it('reads a whole message, and an error body as a failure', () => {
    const facts = messagesDialect.answerFacts({
      id: 'gen-3',
      type: 'message',
      model: 'anthropic/claude-sonnet-4',
      stop_reason: 'tool_use',
      usage: { input_tokens: 5, output_tokens: 9 },
    });
    expect(facts).toMatchObject({
      generationId: 'gen-3',
      finishReason: 'tool_calls',
      usage: { prompt_tokens: 5, completion_tokens: 9 },
    });
    const failed = messagesDialect.answerFacts({
      type: 'error',
      error: { type: 'overloaded_error', message: 'busy' },
    });
    expect(failed.failure).toEqual({ message: 'busy', status: 503 });
  });
});
