import { authenticate, isErrorReply } from './auth.ts';
import {
  creditsExhausted,
  type ErrorReply,
  faultReply,
  invalidRequest,
  keyLimitExceeded,
  withUser,
} from './errors.ts';
import { FAULT_INFO } from './faults.ts';
import { type RequestContext, sendError, sendJson } from './http.ts';
import { isObject, numberField, stringField } from './json-util.ts';
import { createRng, hashString } from './rng.ts';
import { routeEndpoints } from './routing.ts';
import { settle } from './settle.ts';
import { countTextTokens } from './tokenizer.ts';
import { sendInvalidJson, sendTruncatedJson, stallConnection } from './transport-faults.ts';
import { generationId } from './unique-ids.ts';

/** POST /embeddings: deterministic unit vectors, billed per input token. */
export async function handleEmbeddings(ctx: RequestContext): Promise<void> {
  const core = ctx.core;
  const key = authenticate(ctx, 'inference');
  if (isErrorReply(key)) return sendError(ctx, key);
  const fail = (reply: ErrorReply) => sendError(ctx, withUser(reply, key.account.userId));
  const body = ctx.body;
  if (!isObject(body)) return fail(invalidRequest('Request body must be a JSON object.'));
  const modelId = stringField(body, 'model');
  if (modelId === undefined) return fail(invalidRequest('"model" is required.'));
  const model = core.catalogue.resolve(modelId);
  if (model === undefined || !model.isEmbedding)
    return fail(invalidRequest(`${modelId} is not a valid embeddings model ID`));
  const inputs = embeddingInputs(body.input);
  if (typeof inputs === 'string') return fail(invalidRequest(inputs));
  const dimensions = numberField(body, 'dimensions') ?? model.spec.embeddingDimensions ?? 1024;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 8192) {
    return fail(invalidRequest('"dimensions" must be an integer from 1 to 8192.'));
  }
  const base64 = body.encoding_format === 'base64';

  const now = core.clock.now();
  if (key.account.totalCredits - key.account.totalUsage <= 0n) return fail(creditsExhausted());
  const remaining = core.accounts.limitRemaining(key, now);
  if (remaining !== null && remaining <= 0n) return fail(keyLimitExceeded());
  const endpoint = routeEndpoints(model, { order: null, only: null, ignore: null, allowFallbacks: true })[0];
  if (endpoint === undefined) return fail(invalidRequest(`No endpoints for ${model.spec.id}`));

  const header = ctx.req.headers['x-simulator-fault'];
  const choice = core.faults.choose(key.account.userId, Array.isArray(header) ? header.join(',') : header);
  if (choice.error !== undefined) return fail(invalidRequest(choice.error));
  const fault = choice.fault;
  if (fault !== null) ctx.log.fault = fault.name;
  if (fault?.name === 'reset') {
    ctx.log.status = 0;
    ctx.req.socket.destroy();
    return;
  }
  if (fault?.name === 'stall') return stallConnection(ctx, fault.ms ?? core.options.stallMs);
  if (fault?.name === 'invalid-json') return sendInvalidJson(ctx);
  const lastText = inputs.at(-1)?.text ?? '';
  if (fault !== null && FAULT_INFO[fault.name].kind === 'status') {
    return fail(
      faultReply(fault, { model: model.spec.id, providerName: endpoint.provider.name, lastText, nowMs: now }),
    );
  }

  const promptTokens = inputs.reduce((n, input) => n + input.tokens, 0);
  const id = generationId(core.ids, now);
  const data = inputs.map((input, index) => {
    const vector = unitVector(hashString(input.text, core.options.seed), dimensions);
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') : vector,
    };
  });
  const settlement = settle({
    ctx,
    key,
    model,
    endpoint,
    generationId: id,
    apiType: 'embeddings',
    usage: {
      promptTokens,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
      images: 0,
    },
    finishReason: null,
    nativeFinishReason: null,
    streamed: false,
    cancelled: false,
    billable: fault?.name !== 'truncated-stream',
    failedAttempts: [],
    firstTokenAtMs: now,
    externalUser: stringField(body, 'user') ?? null,
    sessionId: stringField(body, 'session_id') ?? null,
  });
  const usage = settlement.usage;
  const response = {
    id,
    object: 'list',
    data,
    model: model.spec.id,
    provider: endpoint.provider.name,
    usage: {
      prompt_tokens: promptTokens,
      total_tokens: promptTokens,
      cost: usage.cost,
      is_byok: usage.is_byok,
      cost_details: usage.cost_details,
      prompt_tokens_details: {
        text_tokens: promptTokens,
        image_tokens: 0,
        audio_tokens: 0,
        video_tokens: 0,
        file_tokens: 0,
      },
    },
  };
  ctx.res.setHeader('X-Generation-Id', id);
  if (fault?.name === 'truncated-stream') return sendTruncatedJson(ctx, JSON.stringify(response));
  sendJson(ctx, 200, response);
}

interface EmbeddingInput {
  text: string;
  tokens: number;
}

function embeddingInputs(input: unknown): EmbeddingInput[] | string {
  const text = (value: string): EmbeddingInput => ({
    text: value,
    tokens: Math.max(1, countTextTokens(value)),
  });
  const ids = (value: unknown[]): EmbeddingInput => ({
    text: value.join(' '),
    tokens: Math.max(1, value.length),
  });
  if (typeof input === 'string') return [text(input)];
  if (!Array.isArray(input) || input.length === 0)
    return '"input" must be a string, an array of strings or token arrays.';
  if (input.every((v) => typeof v === 'number')) return [ids(input)];
  const out: EmbeddingInput[] = [];
  for (const item of input) {
    if (typeof item === 'string') out.push(text(item));
    else if (Array.isArray(item)) out.push(ids(item));
    else if (isObject(item) && Array.isArray(item.content)) {
      const parts = item.content.map((p) =>
        isObject(p) ? (stringField(p, 'text') ?? stringField(p, 'type') ?? '') : '',
      );
      out.push(text(parts.join(' ')));
    } else return '"input" items must be strings, token arrays or {content: [...]} objects.';
  }
  return out;
}

function unitVector(seed: number, dimensions: number): number[] {
  const rng = createRng(seed);
  const values = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const v = rng.next() * 2 - 1;
    values[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) values[i] = Math.round((values[i] ?? 0) * scale * 1e6) / 1e6;
  return values;
}
