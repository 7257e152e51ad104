import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../simulator/index.ts';
import { createOpenRouterClient, type OpenRouterClient } from './client.ts';
import type { ChatCreateParams, ChatMessageParam } from './resources/chat.ts';

/**
 * A reply goes back into `messages` as it came, with no cast: this file type-checks only if a
 * plain completion's assistant message (tool calls, reasoning details, nulls and all) is a
 * request message. `tsc --noEmit` is the type-level half of the test; the run is the other.
 */
let sim: RunningSimulator;
let client: OpenRouterClient;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
  client = createOpenRouterClient({ apiKey: createSimulatorKey(), baseUrl: sim.url });
});
afterAll(async () => {
  await client.close();
  await sim.close();
});

const tools: ChatCreateParams['tools'] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
// A reasoning model, so the reply carries reasoning_details to pass back unmodified (§3.2).
const model = 'anthropic/claude-sonnet-4.5';

describe('sending a reply back as history', () => {
  it('pushes the assistant message of a tool call round trip as is, and the next call succeeds', async () => {
    const messages: ChatMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await client.chat.create({ model, messages, tools, reasoning: { effort: 'low' } });
    const reply = first.data.choices[0]?.message;
    if (!reply) throw new Error('no choice in the reply');
    messages.push(reply);
    const call = reply.tool_calls?.[0];
    expect(call?.function.name).toBe('get_weather');
    expect(reply.reasoning_details?.length).toBeGreaterThan(0);
    messages.push({ role: 'tool', tool_call_id: call?.id ?? '', content: '{"celsius":21}' });

    const second = await client.chat.create({ model, messages, tools, reasoning: { effort: 'low' } });
    expect(second.status).toBe(200);
    expect(second.finishReason).toBe('stop');
    expect(second.text).not.toBe('');
    expect(messages[1]).toBe(reply);
  });

  it('also into the params object of a stream', async () => {
    const params: ChatCreateParams = {
      model,
      tools,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    };
    const first = await client.chat.create(params);
    const reply = first.body.choices[0]?.message;
    if (!reply) throw new Error('no choice in the reply');
    params.messages.push(reply, {
      role: 'tool',
      tool_call_id: reply.tool_calls?.[0]?.id ?? '',
      content: '{"celsius":4}',
    });
    const result = await (await client.chat.stream(params)).finalResult();
    expect(result.finishReason).toBe('stop');
  });

  it('still refuses messages no role accepts', () => {
    const typos: ChatMessageParam[] = [
      // @ts-expect-error a misspelt role is not a message
      { role: 'asistant', content: 'hi' },
      // @ts-expect-error a user message needs content
      { role: 'user' },
      // @ts-expect-error a tool message needs its call's id
      { role: 'tool', content: 'x' },
    ];
    expect(typos).toHaveLength(3);
  });
});
