import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../src/shared/money.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * The Responses API (OpenAI's SDK) and the Messages API (Anthropic's SDK) through the gateway:
 * metered, attributed and budgeted like chat completions, with each SDK's own shapes and errors.
 */

const GPT = 'openai/gpt-4o-mini';
const CLAUDE = 'anthropic/claude-haiku-4.5';
const ADMIN_KEY = 'admin-key-for-dialect-tests-0123456789';

let t: TestGateway;
let openai: OpenAI;
let anthropic: Anthropic;
let gatewayKey: { id: string; secret: string };

beforeAll(async () => {
  t = await startTestGateway({
    config: { gateway: { adminKey: ADMIN_KEY } },
    start: { reconcile: true, reconcileIntervalMs: 50 },
  });
  const created = await t.gateway.ledger.keys.create({ name: 'app', defaultModule: 'app-default' });
  gatewayKey = { id: created.key.id, secret: created.secret };
  openai = new OpenAI({ apiKey: gatewayKey.secret, baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
  // Anthropic's SDK sends its key in x-api-key, and appends /v1/messages to its base URL.
  anthropic = new Anthropic({ apiKey: gatewayKey.secret, baseURL: `${t.gateway.url}/api`, maxRetries: 0 });
});
afterAll(async () => {
  await t.close();
});

async function settledRow(requestId: string | null | undefined) {
  if (!requestId) throw new Error('no x-tollgate-request-id');
  return await eventually(async () => {
    const row = await t.gateway.ledger.getRequest(requestId);
    return row && row.status !== 'pending' ? row : undefined;
  });
}

async function rowsOfModule(module: string) {
  await t.gateway.ledger.flush();
  return await t.gateway.ledger.reports.recent({ filters: { module } });
}

describe("OpenAI's Responses API through the gateway (openai SDK)", () => {
  it('answers a plain call, metered into one row at the exact billed cost, the output capped by default', async () => {
    const { data, response } = await openai.responses
      .create(
        { model: GPT, instructions: 'Be brief.', input: 'Tell me about tollgates.', user: 'u-r1' },
        { headers: { 'x-tollgate-module': 'resp-plain', 'x-tollgate-tags': 'team=core' } },
      )
      .withResponse();
    expect(data.output_text.length).toBeGreaterThan(0);
    expect(response.headers.get('x-generation-id')).toBe(data.id);
    const row = await settledRow(response.headers.get('x-tollgate-request-id'));
    const billed = t.sim.state.generation(data.id);
    expect(row).toMatchObject({
      status: 'ok',
      module: 'resp-plain',
      userId: 'u-r1',
      keyId: gatewayKey.id,
      tags: { team: 'core' },
      generationId: data.id,
      model: data.model,
      finishReason: 'stop',
      promptTokens: data.usage?.input_tokens,
      completionTokens: data.usage?.output_tokens,
      streamed: false,
    });
    expect(row?.cost).toBe(moneyFromUsd(billed?.costExact ?? 'x'));
    expect(billed?.data.external_user).toBe('u-r1');
  });

  it('streams events as they come, and the stream ends with its row committed', async () => {
    const { data: stream, response } = await openai.responses
      .create(
        { model: GPT, input: 'Stream a story.', stream: true },
        { headers: { 'x-tollgate-user': 'u-r2' } },
      )
      .withResponse();
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(completed?.output_text ?? text).toBe(text);
    expect(text.length).toBeGreaterThan(0);
    // No polling: the terminal event was held until the row was committed.
    const row = await t.gateway.ledger.getRequest(response.headers.get('x-tollgate-request-id') ?? '');
    expect(row).toMatchObject({ status: 'ok', streamed: true, userId: 'u-r2', generationId: completed?.id });
    expect(row?.cost).toBe(moneyFromUsd(t.sim.state.generation(completed?.id ?? '')?.costExact ?? 'x'));
  });

  it('returns function calls and structured output; a capped answer is recorded as cut off', async () => {
    const tools = await openai.responses.create({
      model: GPT,
      input: 'Weather in Oslo?',
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          strict: true,
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      ],
    });
    const call = tools.output.find((item) => item.type === 'function_call');
    expect(call?.type === 'function_call' ? JSON.parse(call.arguments) : null).toMatchObject({
      city: expect.any(String),
    });

    const structured = await openai.responses.create({
      model: GPT,
      input: 'Count something.',
      text: {
        format: {
          type: 'json_schema',
          name: 'facts',
          strict: true,
          schema: {
            type: 'object',
            properties: { count: { type: 'integer', minimum: 1 } },
            required: ['count'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(JSON.parse(structured.output_text)).toMatchObject({ count: expect.any(Number) });

    const { data: capped, response } = await openai.responses
      .create({ model: GPT, input: 'Write a long essay about roads.', max_output_tokens: 16 })
      .withResponse();
    expect(capped.status).toBe('incomplete');
    const row = await settledRow(response.headers.get('x-tollgate-request-id'));
    expect(row).toMatchObject({
      status: 'ok',
      finishReason: 'length',
      nativeFinishReason: 'max_output_tokens',
    });
  });

  it("refuses a call over its module's budget with a 402 before it reaches OpenRouter", async () => {
    await t.gateway.ledger.budgets.set({
      scope: 'module',
      scopeValue: 'resp-capped',
      window: 'day',
      limit: 0n,
    });
    const before = t.sim.state.requests().length;
    const error = await openai.responses
      .create({ model: GPT, input: 'hi' }, { headers: { 'x-tollgate-module': 'resp-capped' } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('budget_exceeded');
    expect(t.sim.state.requests().length).toBe(before);
  });

  it("reserves for the default output cap when the body's only cap is chat's (which OpenRouter ignores here)", async () => {
    // gpt-4o's worst case at the default cap is far above this budget; at 1 token it is not.
    await t.gateway.ledger.budgets.set({
      scope: 'module',
      scopeValue: 'resp-chat-cap',
      window: 'day',
      limit: moneyFromUsd('0.002'),
    });
    const error = await openai.responses
      .create(
        {
          model: 'openai/gpt-4o',
          input: 'hi',
          max_completion_tokens: 1,
        } as OpenAI.Responses.ResponseCreateParamsNonStreaming,
        { headers: { 'x-tollgate-module': 'resp-chat-cap' } },
      )
      .catch((caught: unknown) => caught);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
  });

  it('ends a stream the upstream cut off with a failed-response event, blaming the upstream', async () => {
    const stream = await openai.responses.create(
      { model: GPT, input: 'hi', stream: true },
      { headers: { 'x-simulator-fault': 'truncated-stream', 'x-tollgate-module': 'resp-cut' } },
    );
    const failures: unknown[] = [];
    for await (const event of stream)
      if (event.type === 'response.failed') failures.push(event.response.error);
    expect(failures).toEqual([
      {
        code: 'upstream_invalid_response',
        message: 'The AI service sent an invalid response. Please try again.',
      },
    ]);
    const [row] = await rowsOfModule('resp-cut');
    expect(row).toMatchObject({ status: 'error', errorCode: 'stream_truncated' });
  });

  it('records a stream the caller aborts as cancelled', async () => {
    const controller = new AbortController();
    const stream = await openai.responses.create(
      { model: GPT, input: 'A long answer, please.', stream: true, max_output_tokens: 300 },
      {
        headers: { 'x-simulator-fault': 'slow-stream;ms=30', 'x-tollgate-module': 'resp-aborted' },
        signal: controller.signal,
      },
    );
    await (async () => {
      for await (const event of stream) if (event.type === 'response.output_text.delta') controller.abort();
    })().catch(() => undefined);
    const row = await eventually(async () => {
      const [found] = await rowsOfModule('resp-aborted');
      return found && found.status !== 'pending' ? found : undefined;
    });
    expect(row.status).toBe('cancelled');
  });
});

describe("Anthropic's Messages API through the gateway (Anthropic's SDK)", () => {
  it('answers a plain call with the key from x-api-key, attributed from metadata.user_id, reconciled to the bill', async () => {
    const { data, response } = await anthropic.messages
      .create(
        {
          model: CLAUDE,
          max_tokens: 200,
          system: 'Be brief.',
          messages: [{ role: 'user', content: 'Tell me about tollgates.' }],
          metadata: { user_id: 'u-m1' },
        },
        { headers: { 'x-tollgate-module': 'msg-plain' } },
      )
      .withResponse();
    const text = data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(response.headers.get('x-generation-id')).toBe(data.id);
    const row = await settledRow(response.headers.get('x-tollgate-request-id'));
    expect(row).toMatchObject({
      status: 'ok',
      module: 'msg-plain',
      userId: 'u-m1',
      keyId: gatewayKey.id,
      generationId: data.id,
      model: CLAUDE,
      finishReason: 'stop',
      nativeFinishReason: 'end_turn',
      promptTokens: data.usage.input_tokens,
      completionTokens: data.usage.output_tokens,
    });
    const billed = moneyFromUsd(t.sim.state.generation(data.id)?.costExact ?? 'x');
    // The Messages usage carries no cost: the catalogue's estimate stands in until the generation
    // endpoint confirms the bill.
    expect(row.costSource === 'estimate' || row.costSource === 'generation').toBe(true);
    const reconciled = await eventually(async () => {
      const found = await t.gateway.ledger.getRequest(row.id);
      return found?.reconciledAt ? found : undefined;
    }, 10_000);
    expect(reconciled.cost).toBe(billed);
    expect(t.sim.state.generation(data.id)?.data.external_user).toBe('u-m1');
  });

  it("lets X-Tollgate-User win over metadata.user_id, which tools fill by themselves (Claude Code's session JSON)", async () => {
    const blob = JSON.stringify({ device_id: 'd1', account_uuid: '', session_id: 's1' });
    const ask = (metadata: { user_id: string } | undefined, user: string) =>
      anthropic.messages
        .create(
          {
            model: CLAUDE,
            max_tokens: 20,
            messages: [{ role: 'user', content: 'hi' }],
            ...(metadata ? { metadata } : {}),
          },
          { headers: { 'x-tollgate-user': user } },
        )
        .withResponse();
    const overridden = await ask({ user_id: blob }, 'alice');
    expect(await settledRow(overridden.response.headers.get('x-tollgate-request-id'))).toMatchObject({
      userId: 'alice',
    });
    // The caller's own field goes upstream as it came.
    expect(t.sim.state.generation(overridden.data.id)?.data.external_user).toBe(blob);
    // With none, the attributed user goes upstream in Anthropic's field.
    const filled = await ask(undefined, 'bob');
    expect(await settledRow(filled.response.headers.get('x-tollgate-request-id'))).toMatchObject({
      userId: 'bob',
    });
    expect(t.sim.state.generation(filled.data.id)?.data.external_user).toBe('bob');
  });

  it('streams, and counts cached prompt tokens the Anthropic way (input_tokens leaves the cache out)', async () => {
    const long = 'The tollgate ledger records every call. '.repeat(300);
    const request: Anthropic.MessageCreateParams = {
      model: CLAUDE,
      max_tokens: 100,
      system: [{ type: 'text', text: long, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Summarise.' }],
    };
    await anthropic.messages.create(request);
    const { data: stream, response } = await anthropic.messages
      .create({ ...request, stream: true }, { headers: { 'x-tollgate-module': 'msg-stream' } })
      .withResponse();
    let text = '';
    let usage: Anthropic.MessageDeltaUsage | undefined;
    let started: Anthropic.Message | undefined;
    for await (const event of stream) {
      if (event.type === 'message_start') started = event.message;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') usage = event.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    const cacheRead = started?.usage.cache_read_input_tokens ?? 0;
    expect(cacheRead).toBeGreaterThan(0);
    const row = await t.gateway.ledger.getRequest(response.headers.get('x-tollgate-request-id') ?? '');
    expect(row).toMatchObject({
      status: 'ok',
      streamed: true,
      generationId: started?.id,
      cachedTokens: cacheRead,
      promptTokens:
        (started?.usage.input_tokens ?? 0) + cacheRead + (started?.usage.cache_creation_input_tokens ?? 0),
      completionTokens: usage?.output_tokens,
    });
  });

  it("holds a key's model patterns over `models` and `fallbacks` together", async () => {
    const restricted = await t.gateway.ledger.keys.create({
      name: 'openai-only',
      allowedModels: ['openai/*'],
    });
    const before = t.sim.state.requests().length;
    for (const extra of [{}, { models: ['openai/gpt-4o-mini'] }, { models: [] }]) {
      const answer = await fetch(`${t.gateway.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': restricted.secret, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openai/gpt-4o-mini',
          max_tokens: 20,
          messages: [{ role: 'user', content: 'hi' }],
          fallbacks: [{ model: CLAUDE }],
          ...extra,
        }),
      });
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject({ error: { type: 'permission_error' } });
    }
    expect(t.sim.state.requests().length).toBe(before);
  });

  it("hands the SDK tollgate's own refusals in Anthropic's envelope: 400, 401, 402", async () => {
    const missingCap = await fetch(`${t.gateway.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gatewayKey.secret, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CLAUDE, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(missingCap.status).toBe(400);
    expect(await missingCap.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('"max_tokens" is required') },
      request_id: expect.any(String),
    });

    const wrongKey = new Anthropic({
      apiKey: 'tg-not-a-key',
      baseURL: `${t.gateway.url}/api`,
      maxRetries: 0,
    });
    const unauthorized = await wrongKey.messages
      .create({ model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);

    await t.gateway.ledger.budgets.set({
      scope: 'module',
      scopeValue: 'msg-capped',
      window: 'day',
      limit: 0n,
    });
    const refused = await anthropic.messages
      .create(
        { model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-tollgate-module': 'msg-capped' } },
      )
      .catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(Anthropic.APIError);
    expect((refused as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    expect((refused as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'billing_error', tollgate_code: 'budget_exceeded' },
    });
    expect(await rowsOfModule('msg-capped')).toHaveLength(0);
  });

  const statuses: Array<[string, number, abstract new (...args: never[]) => Error]> = [
    ['400', 400, Anthropic.BadRequestError],
    ['429', 429, Anthropic.RateLimitError],
    ['502', 502, Anthropic.InternalServerError],
    ['503', 503, Anthropic.InternalServerError],
  ];
  for (const [fault, status, errorClass] of statuses) {
    it(`hands the SDK an upstream ${status} as its own error class, in Anthropic's envelope, with one row`, async () => {
      const error = await anthropic.messages
        .create(
          { model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
          { headers: { 'x-simulator-fault': fault, 'x-tollgate-module': `msg-fault-${fault}` } },
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      const sdkError = error as InstanceType<typeof Anthropic.APIError>;
      expect(sdkError.status).toBe(status);
      const body = sdkError.error as { type: string; error: { tollgate_code: string }; request_id: string };
      expect(body.type).toBe('error');
      expect(body.error.tollgate_code).toMatch(/^upstream_/);
      expect(JSON.stringify(body)).not.toContain(t.upstreamKey);
      const rows = await rowsOfModule(`msg-fault-${fault}`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: body.request_id, status: 'error', httpStatus: status, cost: 0n });
    });
  }

  it('raises a mid-stream error in the SDK, and records it', async () => {
    const stream = await anthropic.messages.create(
      { model: CLAUDE, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { 'x-simulator-fault': 'mid-stream-error', 'x-tollgate-module': 'msg-midstream' } },
    );
    const error = await (async () => {
      for await (const _event of stream) {
        // Drain.
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const [row] = await rowsOfModule('msg-midstream');
    expect(row).toMatchObject({ status: 'error', errorCode: 'stream_error' });
  });

  it('ends a cut-off stream with an error event the SDK raises, and records the call as truncated', async () => {
    const stream = await anthropic.messages.create(
      { model: CLAUDE, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { 'x-simulator-fault': 'truncated-stream', 'x-tollgate-module': 'msg-cut' } },
    );
    const error = await (async () => {
      for await (const _event of stream) {
        // Drain.
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(String((error as Error).message)).toContain('The AI service sent an invalid response');
    const [row] = await rowsOfModule('msg-cut');
    expect(row).toMatchObject({ status: 'error', errorCode: 'stream_truncated' });
  });

  it('records a stream the caller aborts as cancelled', async () => {
    const controller = new AbortController();
    const stream = await anthropic.messages.create(
      {
        model: CLAUDE,
        max_tokens: 300,
        messages: [{ role: 'user', content: 'A long answer.' }],
        stream: true,
      },
      {
        headers: { 'x-simulator-fault': 'slow-stream;ms=30', 'x-tollgate-module': 'msg-aborted' },
        signal: controller.signal,
      },
    );
    await (async () => {
      for await (const event of stream) if (event.type === 'content_block_delta') controller.abort();
    })().catch(() => undefined);
    const row = await eventually(async () => {
      const [found] = await rowsOfModule('msg-aborted');
      return found && found.status !== 'pending' ? found : undefined;
    });
    expect(row.status).toBe('cancelled');
  });

  it('never logs a key', () => {
    for (const line of t.logs) {
      expect(line).not.toContain(t.upstreamKey);
      expect(line).not.toContain(gatewayKey.secret);
    }
  });
});
