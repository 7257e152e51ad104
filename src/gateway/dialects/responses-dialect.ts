import type { UsageLike } from '../../pricing/index.ts';
import { nonEmptyString } from '../../shared/json-object.ts';
import type { JsonObject } from '../request-body.ts';
import type { StreamFacts } from '../stream-relay.ts';
import {
  type AnswerFacts,
  countOf,
  type EventReader,
  type EventVerdict,
  type GatewayStreamError,
  type InferenceDialect,
  namedEvent,
  objectOf,
  statusOfError,
  withMeterChanges,
} from './dialect.ts';

/** Fields of the metering view that the Responses API does not have: never sent upstream. */
const VIEW_ONLY = new Set(['messages', 'response_format']);

/** Chat's output caps (the meter's default, a profile's) are the Responses API's max_output_tokens. */
const OUTPUT_CAPS = new Set(['max_tokens', 'max_completion_tokens']);

/** The events a Responses stream's facts come from (api reference §11.3). */
const WANTED = new Set([
  'response.created',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'error',
]);

/** OpenAI's Responses API as OpenRouter serves it (`POST /responses`, api reference §11.3). */
export const responsesDialect: InferenceDialect = {
  userOf: (body) => ({ value: body.user, field: 'user', headerFirst: false }),
  withUser: (body, userId) => (body.user === undefined ? { ...body, user: userId } : body),

  meteringView(body) {
    const messages: unknown[] = [];
    if (typeof body.instructions === 'string') messages.push({ role: 'system', content: body.instructions });
    if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
    else if (Array.isArray(body.input)) for (const item of body.input) messages.push(chatMessageOf(item));
    return {
      ...body,
      messages,
      // max_output_tokens is the Responses API's one output cap: a chat cap in the body (which
      // OpenRouter ignores here) must not pass for one.
      max_tokens: body.max_output_tokens ?? undefined,
      max_completion_tokens: undefined,
      response_format: objectOf(body.text)?.format,
    };
  },

  upstreamRequest(body, view, admitted) {
    return withMeterChanges(body, view, admitted, VIEW_ONLY, (field) =>
      OUTPUT_CAPS.has(field) ? 'max_output_tokens' : field,
    );
  },

  answerFacts(answer) {
    return { ...responseFacts(answer), generationId: nonEmptyString(answer.id), provider: undefined };
  },

  createEventReader(): EventReader {
    return {
      wants: (name) => WANTED.has(name),
      observe(name, data, facts) {
        if (name === 'error') {
          return {
            error: {
              code: typeof data.code === 'string' || typeof data.code === 'number' ? data.code : undefined,
              message: nonEmptyString(data.message) ?? 'stream error',
              errorType: undefined,
            },
          };
        }
        const response = objectOf(data.response);
        if (!response) return undefined;
        return observeResponse(name, response, facts);
      },
    };
  },

  cleanErrorEvent(name, data, safeMessage) {
    if (name === 'error') {
      return namedEvent('error', {
        type: 'error',
        code: data.code ?? null,
        message: safeMessage,
        param: null,
        sequence_number: data.sequence_number,
      });
    }
    const response = objectOf(data.response) ?? {};
    const error = objectOf(response.error);
    return namedEvent(name, {
      ...data,
      response: { ...response, error: { code: error?.code ?? 'server_error', message: safeMessage } },
    });
  },

  finalErrorEvent(error: GatewayStreamError) {
    return namedEvent('response.failed', {
      type: 'response.failed',
      response: {
        id: error.id,
        object: 'response',
        created_at: error.createdAt,
        status: 'failed',
        model: error.model,
        output: [],
        error: { code: error.code, message: error.message },
        incomplete_details: null,
        usage: null,
        tollgate_request_id: error.requestId,
      },
    });
  },
};

function observeResponse(name: string, response: JsonObject, facts: StreamFacts): EventVerdict | undefined {
  facts.id ??= nonEmptyString(response.id);
  facts.model ??= nonEmptyString(response.model);
  if (name === 'response.created') return undefined;
  const read = responseFacts(response);
  facts.model = read.model ?? facts.model;
  facts.usage = read.usage ?? facts.usage;
  facts.finishReason = read.finishReason;
  facts.nativeFinishReason = read.nativeFinishReason;
  if (!read.failure) return { terminal: true };
  const error = objectOf(response.error);
  return {
    terminal: true,
    error: {
      code: typeof error?.code === 'string' || typeof error?.code === 'number' ? error.code : undefined,
      message: read.failure.message,
      errorType: nonEmptyString(response.error_type),
    },
  };
}

/** What a response object (whole, or the one a terminal event carries) says of the call. */
function responseFacts(response: JsonObject): Omit<AnswerFacts, 'generationId' | 'provider'> {
  const status = nonEmptyString(response.status);
  const reason = nonEmptyString(objectOf(response.incomplete_details)?.reason);
  const error = objectOf(response.error);
  return {
    model: nonEmptyString(response.model),
    usage: chatUsageOf(response.usage),
    finishReason: finishReasonOf(status, reason, response.output),
    nativeFinishReason: status === 'incomplete' ? (reason ?? status) : (status ?? null),
    failure:
      status === 'failed'
        ? {
            message: nonEmptyString(error?.message) ?? 'the response failed',
            status: statusOfError(error?.code),
          }
        : undefined,
  };
}

/** The Responses status in chat's finish reasons, which the ledger and reports use. */
function finishReasonOf(
  status: string | undefined,
  reason: string | undefined,
  output: unknown,
): string | null {
  switch (status) {
    case 'completed':
      return Array.isArray(output) && output.some((item) => objectOf(item)?.type === 'function_call')
        ? 'tool_calls'
        : 'stop';
    case 'incomplete':
      return reason === 'content_filter' ? 'content_filter' : 'length';
    case 'failed':
      return 'error';
    default:
      return null;
  }
}

/** Responses usage (`input_tokens`, `output_tokens` and their details) as chat's usage. */
export function chatUsageOf(value: unknown): UsageLike | undefined {
  const usage = objectOf(value);
  if (!usage) return undefined;
  const input = objectOf(usage.input_tokens_details);
  const output = objectOf(usage.output_tokens_details);
  return {
    prompt_tokens: countOf(usage.input_tokens),
    completion_tokens: countOf(usage.output_tokens),
    total_tokens: countOf(usage.total_tokens),
    prompt_tokens_details: {
      cached_tokens: countOf(input?.cached_tokens),
      cache_write_tokens: countOf(input?.cache_write_tokens),
    },
    completion_tokens_details: { reasoning_tokens: countOf(output?.reasoning_tokens) },
    cost: typeof usage.cost === 'number' || typeof usage.cost === 'string' ? usage.cost : undefined,
    is_byok: typeof usage.is_byok === 'boolean' ? usage.is_byok : undefined,
    cost_details: objectOf(usage.cost_details) as UsageLike['cost_details'],
  };
}

/** One `input` item as a chat message, for the prompt estimate (text, images, files, tool turns). */
function chatMessageOf(item: unknown): unknown {
  const entry = objectOf(item);
  if (!entry) return { role: 'user', content: typeof item === 'string' ? item : JSON.stringify(item) };
  switch (entry.type) {
    case 'function_call':
      return {
        role: 'assistant',
        content: null,
        tool_calls: [{ type: 'function', function: { name: entry.name, arguments: entry.arguments } }],
      };
    case 'function_call_output':
      return {
        role: 'tool',
        content: typeof entry.output === 'string' ? entry.output : JSON.stringify(entry.output ?? null),
      };
    case 'reasoning':
      return { role: 'assistant', content: JSON.stringify(entry.summary ?? entry.encrypted_content ?? '') };
    default: {
      const role = typeof entry.role === 'string' ? entry.role : 'user';
      const content = Array.isArray(entry.content) ? entry.content.map(chatPartOf) : entry.content;
      return { role, content };
    }
  }
}

function chatPartOf(part: unknown): unknown {
  const entry = objectOf(part);
  if (!entry) return part;
  switch (entry.type) {
    case 'input_text':
    case 'output_text':
    case 'summary_text':
      return { type: 'text', text: entry.text };
    case 'input_image':
      return { type: 'image_url', image_url: { url: entry.image_url } };
    case 'input_file':
      return { type: 'file', file: { filename: entry.filename } };
    case 'input_audio':
      return { type: 'input_audio' };
    default:
      return part;
  }
}
