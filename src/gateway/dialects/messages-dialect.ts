import type { UsageLike } from '../../pricing/index.ts';
import { nonEmptyString } from '../../shared/json-object.ts';
import { anthropicErrorType } from '../gateway-error.ts';
import type { JsonObject } from '../request-body.ts';
import {
  type AnswerFacts,
  countOf,
  type EventReader,
  type GatewayStreamError,
  type InferenceDialect,
  namedEvent,
  objectOf,
  statusOfError,
  withMeterChanges,
} from './dialect.ts';

/** Fields of the metering view that the Messages API names otherwise: never sent upstream as such. */
const VIEW_ONLY = new Set(['messages', 'max_completion_tokens']);

const WANTED = new Set(['message_start', 'message_delta', 'message_stop', 'error']);

/** Anthropic's stop reasons in chat's finish reasons, which the ledger and reports use. */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Anthropic's Messages API as OpenRouter serves it (`POST /messages`, api reference §11.4). */
export const messagesDialect: InferenceDialect = {
  // Anthropic's own place for the end user is `metadata.user_id`. Tools fill it by themselves
  // (Claude Code with a JSON of device and session ids), so X-Tollgate-User wins over it.
  userOf: (body) =>
    body.user !== undefined
      ? { value: body.user, field: 'user', headerFirst: false }
      : { value: objectOf(body.metadata)?.user_id, field: 'metadata.user_id', headerFirst: true },
  // Not a top-level `user`, which is not a field of Anthropic's Messages API.
  withUser(body, userId) {
    if (body.user !== undefined) return body;
    const metadata = objectOf(body.metadata);
    // (A null user_id is no user: filled like an absent one.)
    if (
      (metadata?.user_id !== undefined && metadata.user_id !== null) ||
      (body.metadata !== undefined && metadata === undefined)
    )
      return body;
    return { ...body, metadata: { ...metadata, user_id: userId } };
  },

  meteringView(body) {
    const messages: unknown[] = [];
    if (typeof body.system === 'string') messages.push({ role: 'system', content: body.system });
    else if (Array.isArray(body.system))
      messages.push({ role: 'system', content: body.system.map(chatPartOf) });
    if (Array.isArray(body.messages)) {
      for (const message of body.messages) {
        const entry = objectOf(message);
        const content = entry?.content;
        messages.push({
          role: typeof entry?.role === 'string' ? entry.role : 'user',
          content: Array.isArray(content) ? content.map(chatPartOf) : content,
        });
      }
    }
    // max_tokens is the Messages API's one output cap, and required.
    return { ...body, messages, models: fallbackModels(body), max_completion_tokens: undefined };
  },

  upstreamRequest(body, view, admitted) {
    return withMeterChanges(body, view, admitted, VIEW_ONLY, (field) => field);
  },

  answerFacts(answer): AnswerFacts {
    if (answer.type === 'error') {
      const error = objectOf(answer.error);
      return {
        generationId: undefined,
        model: undefined,
        provider: undefined,
        usage: undefined,
        finishReason: 'error',
        nativeFinishReason: 'error',
        failure: {
          message: nonEmptyString(error?.message) ?? 'the message failed',
          status: statusOfError(error?.type),
        },
      };
    }
    const stop = nonEmptyString(answer.stop_reason);
    return {
      generationId: nonEmptyString(answer.id),
      model: nonEmptyString(answer.model),
      provider: undefined,
      usage: chatUsageOf(objectOf(answer.usage)),
      finishReason: stop ? (FINISH_REASONS[stop] ?? 'stop') : null,
      nativeFinishReason: stop ?? null,
      failure: undefined,
    };
  },

  createEventReader(): EventReader {
    // message_start tells the input side of the usage, message_delta the output side.
    let started: JsonObject | undefined;
    return {
      wants: (name) => WANTED.has(name),
      observe(name, data, facts) {
        switch (name) {
          case 'message_start': {
            const message = objectOf(data.message);
            facts.id ??= nonEmptyString(message?.id);
            facts.model ??= nonEmptyString(message?.model);
            started = objectOf(message?.usage);
            return undefined;
          }
          case 'message_delta': {
            const delta = objectOf(data.delta);
            const stop = nonEmptyString(delta?.stop_reason);
            if (stop) {
              facts.finishReason = FINISH_REASONS[stop] ?? 'stop';
              facts.nativeFinishReason = stop;
            }
            const usage = objectOf(data.usage);
            if (usage) facts.usage = chatUsageOf({ ...started, ...usage });
            return undefined;
          }
          case 'message_stop':
            return { terminal: true };
          default: {
            const error = objectOf(data.error);
            return {
              error: {
                code: nonEmptyString(error?.type),
                message: nonEmptyString(error?.message) ?? 'stream error',
                errorType: nonEmptyString(error?.error_type),
              },
            };
          }
        }
      },
    };
  },

  cleanErrorEvent(_name, data, safeMessage) {
    const type = nonEmptyString(objectOf(data.error)?.type) ?? 'api_error';
    return namedEvent('error', { type: 'error', error: { type, message: safeMessage } });
  },

  finalErrorEvent(error: GatewayStreamError) {
    return namedEvent('error', {
      type: 'error',
      error: { type: anthropicErrorType(error.status), message: error.message, tollgate_code: error.code },
      request_id: error.requestId,
    });
  },
};

/**
 * The models that may serve the call: `models` and OpenRouter's `fallbacks: [{model}]` together
 * (OpenRouter may try them all, so budgets and the key's model patterns must see them all).
 */
function fallbackModels(body: JsonObject): unknown {
  if (!Array.isArray(body.fallbacks)) return body.models;
  const fallbacks = body.fallbacks
    .map((fallback) => objectOf(fallback)?.model)
    .filter((model) => typeof model === 'string');
  return [...(Array.isArray(body.models) ? body.models : []), ...fallbacks];
}

/**
 * Anthropic usage as chat's: Anthropic's `input_tokens` leaves out the tokens read from and
 * written to the cache, chat's `prompt_tokens` counts them.
 */
export function chatUsageOf(usage: JsonObject | undefined): UsageLike | undefined {
  if (!usage) return undefined;
  const uncached = countOf(usage.input_tokens);
  const written = countOf(usage.cache_creation_input_tokens) ?? 0;
  const read = countOf(usage.cache_read_input_tokens) ?? 0;
  return {
    prompt_tokens: uncached === undefined ? undefined : uncached + written + read,
    completion_tokens: countOf(usage.output_tokens),
    prompt_tokens_details: { cached_tokens: read, cache_write_tokens: written },
    cost: typeof usage.cost === 'number' || typeof usage.cost === 'string' ? usage.cost : undefined,
    is_byok: typeof usage.is_byok === 'boolean' ? usage.is_byok : undefined,
    cost_details: objectOf(usage.cost_details) as UsageLike['cost_details'],
  };
}

/** One content block as a chat content part, for the prompt estimate. */
function chatPartOf(block: unknown): unknown {
  const entry = objectOf(block);
  if (!entry) return block;
  switch (entry.type) {
    case 'text':
      return { type: 'text', text: entry.text };
    case 'image': {
      const source = objectOf(entry.source);
      return { type: 'image_url', image_url: { url: source?.url ?? 'data:' } };
    }
    case 'document':
      return { type: 'file', file: {} };
    case 'tool_use':
      return { type: 'text', text: JSON.stringify({ name: entry.name, input: entry.input }) };
    case 'tool_result':
      return {
        type: 'text',
        text: typeof entry.content === 'string' ? entry.content : JSON.stringify(entry.content ?? null),
      };
    case 'thinking':
      return { type: 'text', text: entry.thinking };
    default:
      return block;
  }
}
