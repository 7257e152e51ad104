import { OpenRouter } from '@openrouter/sdk';
import * as OpenRouterErrors from '@openrouter/sdk/models/errors';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moneyFromUsd, moneyToUsdString } from '../src/shared/money.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
let openai: OpenAI;
const MODEL = 'openai/gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Tell me about tollgates.' }];

beforeAll(async () => {
  t = await startTestGateway();
  openai = new OpenAI({ apiKey: 'sk-anything', baseURL: `${t.gateway.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await t.close();
});

async function rowFor(requestId: string | null | undefined) {
  if (!requestId) throw new Error('no x-tollgate-request-id');
  return await t.gateway.ledger.getRequest(requestId);
}

describe('the official openai SDK through the gateway', () => {
  it('completes a plain call, metered into one ledger row with the exact billed cost', async () => {
    const { data, response } = await openai.chat.completions
      .create(
        { model: MODEL, messages, user: 'u-1' },
        { headers: { 'x-tollgate-module': 'faq', 'x-tollgate-tags': 'team=core' } },
      )
      .withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.headers.get('x-generation-id')).toBe(data.id);
    const row = await rowFor(response.headers.get('x-tollgate-request-id'));
    const billed = t.sim.state.generation(data.id);
    expect(row).toMatchObject({
      status: 'ok',
      module: 'faq',
      userId: 'u-1',
      tags: { team: 'core' },
      generationId: data.id,
      streamed: false,
    });
    expect(row?.cost).toBe(moneyFromUsd(billed?.costExact ?? 'x'));
    expect(billed?.data.external_user).toBe('u-1');
  });

  it('streams, and the stream ends with its row already committed', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model: MODEL, messages, stream: true }, { headers: { 'x-tollgate-user': 'u-2' } })
      .withResponse();
    let text = '';
    let id = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      id = chunk.id;
    }
    expect(text.length).toBeGreaterThan(0);
    // No polling: [DONE] was held back until the row was committed.
    const row = await rowFor(response.headers.get('x-tollgate-request-id'));
    expect(row).toMatchObject({ status: 'ok', streamed: true, userId: 'u-2', generationId: id });
    expect(row?.cost).toBe(moneyFromUsd(t.sim.state.generation(id)?.costExact ?? 'x'));
    expect(t.sim.state.generation(id)?.data.external_user).toBe('u-2');
  });

  it('returns structured output and tool calls', async () => {
    const structured = await openai.chat.completions.create({
      model: MODEL,
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: {
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
    expect(JSON.parse(structured.choices[0]?.message.content ?? '')).toMatchObject({
      count: expect.any(Number),
    });

    const tools = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
    });
    expect(tools.choices[0]?.finish_reason).toBe('tool_calls');
    expect(
      JSON.parse(
        tools.choices[0]?.message.tool_calls?.[0]?.type === 'function'
          ? tools.choices[0].message.tool_calls[0].function.arguments
          : '',
      ),
    ).toMatchObject({ city: expect.any(String) });
  });

  it('creates embeddings (metered) and lists models with pricing', async () => {
    const { data: embedded, response } = await openai.embeddings
      .create({ model: 'openai/text-embedding-3-small', input: ['one', 'two'] })
      .withResponse();
    expect(embedded.data).toHaveLength(2);
    const row = await rowFor(response.headers.get('x-tollgate-request-id'));
    expect(row?.status).toBe('ok');
    expect(row?.cost).not.toBeNull();

    // Priced from the catalogue like any model (OpenRouter lists text models only by default): a
    // budget reserves the embedding's own worst case, not the unknown-model one ($1).
    const worst = await t.gateway.context.meter.worstCase(
      { model: 'openai/text-embedding-3-small', messages: [{ role: 'user', content: 'one' }] },
      'default',
    );
    expect(worst).toBeDefined();
    expect(worst).toBeLessThan(moneyFromUsd('0.001'));

    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toContain(MODEL);
    expect(ids).toContain('openai/text-embedding-3-small');
    const retrieved = await openai.models.retrieve(MODEL);
    expect(retrieved).toMatchObject({ id: MODEL, object: 'model', owned_by: 'openai' });
    await expect(openai.models.retrieve('nobody/no-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  const statuses: Array<[string, number, abstract new (...args: never[]) => Error]> = [
    ['400', 400, OpenAI.BadRequestError],
    ['401', 401, OpenAI.AuthenticationError],
    ['402', 402, OpenAI.APIError],
    ['429', 429, OpenAI.RateLimitError],
    ['500', 500, OpenAI.InternalServerError],
    ['502', 502, OpenAI.InternalServerError],
    ['503', 503, OpenAI.InternalServerError],
  ];
  for (const [fault, status, errorClass] of statuses) {
    it(`hands the SDK a ${status} as its own error class, with a safe body and one ledger row`, async () => {
      const error = await openai.chat.completions
        .create(
          { model: MODEL, messages },
          { headers: { 'x-simulator-fault': fault, 'x-tollgate-module': `fault-${fault}` } },
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(status);
      const body = apiError.error as { code: string; request_id: string; message: string };
      expect(body.code).toMatch(/^upstream_/);
      expect(JSON.stringify(body)).not.toContain(t.upstreamKey);
      const rows = await t.gateway.ledger.reports.recent({ filters: { module: `fault-${fault}` } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: body.request_id, status: 'error', httpStatus: status, cost: 0n });
    });
  }

  it('records a stream the caller aborts as cancelled, and stops the upstream', async () => {
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: MODEL, messages, stream: true, max_tokens: 300 },
      {
        headers: { 'x-simulator-fault': 'slow-stream;ms=30', 'x-tollgate-module': 'aborted' },
        signal: controller.signal,
      },
    );
    let chunks = 0;
    await (async () => {
      for await (const chunk of stream) {
        chunks += 1;
        if (chunk.choices[0]?.delta?.content) controller.abort();
      }
    })().catch(() => undefined);
    expect(chunks).toBeGreaterThan(0);
    const row = await eventually(async () => {
      const [found] = await t.gateway.ledger.reports.recent({ filters: { module: 'aborted' } });
      return found && found.status !== 'pending' ? found : undefined;
    });
    expect(row.status).toBe('cancelled');
    const generation = await eventually(async () => {
      const record = t.sim.state.generation(row.generationId ?? '');
      return record?.data.cancelled === true ? record : undefined;
    });
    expect(generation.data.cancelled).toBe(true);
  });

  it('delivers chunks while the upstream is still streaming', async () => {
    const started = Date.now();
    const stream = await openai.chat.completions.create(
      { model: MODEL, messages, stream: true, max_tokens: 60 },
      { headers: { 'x-simulator-fault': 'slow-stream;ms=25' } },
    );
    let firstAt: number | undefined;
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) firstAt ??= Date.now();
    const endedAt = Date.now();
    expect(firstAt).toBeDefined();
    // The stream took a while; its first chunk arrived near the start, not with the rest.
    expect(endedAt - started).toBeGreaterThan(300);
    expect((firstAt ?? endedAt) - started).toBeLessThan((endedAt - started) / 3);
  });

  it('never writes a key into a log line', () => {
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(line).not.toContain(t.upstreamKey);
  });

  it("logs a call's cost as exact USD text, as the ledger holds it", async () => {
    const completed = t.logs
      .map((line) => JSON.parse(line) as { msg: string; requestId?: string; costUsd?: string | null })
      .filter((entry) => entry.msg === 'call completed' && typeof entry.costUsd === 'string');
    expect(completed.length).toBeGreaterThan(0);
    for (const entry of completed) {
      const row = await t.gateway.ledger.getRequest(entry.requestId ?? '');
      expect(entry.costUsd).toBe(row?.cost === null || row === undefined ? null : moneyToUsdString(row.cost));
    }
  });
});

describe('the @openrouter/sdk through the gateway', () => {
  const client = () => new OpenRouter({ apiKey: 'sk-anything', serverURL: `${t.gateway.url}/api/v1` });

  it('completes plain and streamed calls and reads the generation from the ledger', async () => {
    const result = await client().chat.send({ chatRequest: { model: MODEL, messages, stream: false } });
    if (!('choices' in result)) throw new Error('expected JSON');
    expect(result.usage?.cost).toBeGreaterThan(0);
    const generation = await client().generations.getGeneration({ id: result.id });
    expect(generation.data.totalCost).toBe(result.usage?.cost);

    const stream = await client().chat.send({ chatRequest: { model: MODEL, messages, stream: true } });
    if ('choices' in stream) throw new Error('expected a stream');
    let cost: number | null | undefined;
    for await (const chunk of stream) if (chunk.usage) cost = chunk.usage.cost;
    expect(cost).toBeGreaterThan(0);
  });

  it('lists models through the gateway catalogue', async () => {
    const ids: string[] = [];
    for await (const page of await client().models.list({})) ids.push(...page.result.data.map((m) => m.id));
    expect(ids).toContain(MODEL);
  });
  const orStatuses: Array<[string, number, abstract new (...args: never[]) => Error]> = [
    ['400', 400, OpenRouterErrors.BadRequestResponseError],
    ['401', 401, OpenRouterErrors.UnauthorizedResponseError],
    ['402', 402, OpenRouterErrors.PaymentRequiredResponseError],
    ['429', 429, OpenRouterErrors.TooManyRequestsResponseError],
    ['500', 500, OpenRouterErrors.InternalServerResponseError],
    ['502', 502, OpenRouterErrors.BadGatewayResponseError],
    ['503', 503, OpenRouterErrors.ServiceUnavailableResponseError],
  ];
  for (const [fault, status, errorClass] of orStatuses) {
    it(`hands the SDK a ${status} as its own error class, with a safe body and one ledger row`, async () => {
      const error = await client()
        .chat.send(
          { chatRequest: { model: MODEL, messages, stream: false } },
          {
            headers: { 'x-simulator-fault': fault, 'x-tollgate-module': `or-fault-${fault}` },
            retries: { strategy: 'none' },
          },
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      const sdkError = error as InstanceType<typeof OpenRouterErrors.BadRequestResponseError>;
      expect(sdkError.statusCode).toBe(status);
      expect(sdkError.error.code).toBe(status);
      const metadata = sdkError.error.metadata as { tollgate_code: string; request_id: string };
      expect(metadata.tollgate_code).toMatch(/^upstream_/);
      expect(sdkError.body).not.toContain(t.upstreamKey);
      const rows = await t.gateway.ledger.reports.recent({ filters: { module: `or-fault-${fault}` } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: metadata.request_id, status: 'error', httpStatus: status });
    });
  }

  it("refuses a call tollgate itself turns away in the SDK's own class too (a budget: 402)", async () => {
    await t.gateway.ledger.budgets.set({
      scope: 'module',
      scopeValue: 'or-capped',
      window: 'day',
      limit: 0n,
    });
    const error = await client()
      .chat.send(
        { chatRequest: { model: MODEL, messages, stream: false } },
        { headers: { 'x-tollgate-module': 'or-capped' }, retries: { strategy: 'none' } },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenRouterErrors.PaymentRequiredResponseError);
    const sdkError = error as InstanceType<typeof OpenRouterErrors.PaymentRequiredResponseError>;
    expect(sdkError.error.metadata).toMatchObject({ tollgate_code: 'budget_exceeded' });
    expect(sdkError.message).toMatch(/budget/i);
  });
  it('ends a stream the upstream cut off with an error chunk the SDK parses, blaming the upstream', async () => {
    const stream = await client().chat.send(
      { chatRequest: { model: MODEL, messages, stream: true } },
      { headers: { 'x-simulator-fault': 'truncated-stream' }, retries: { strategy: 'none' } },
    );
    if ('choices' in stream) throw new Error('expected a stream');
    const errors: Array<{ code: number; message: string }> = [];
    for await (const chunk of stream) if (chunk.error) errors.push(chunk.error);
    expect(errors).toEqual([
      expect.objectContaining({
        code: 502,
        message: 'The AI service sent an invalid response. Please try again.',
      }),
    ]);
  });
});
