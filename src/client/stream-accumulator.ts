import type { ChatCompletionChunk, ChatUsage, ErrorObject, ReasoningDetail } from '../shared/wire/index.ts';

/** A tool call assembled from its stream fragments (§5.3). */
export interface AccumulatedToolCall {
  index: number;
  id: string | undefined;
  type: string;
  function: { name: string; arguments: string };
}

/** What a chat stream has delivered so far; complete once the stream is done. */
export interface ChatStreamSummary {
  id: string | undefined;
  model: string | undefined;
  provider: string | undefined;
  created: number | undefined;
  systemFingerprint: string | undefined;
  /** Concatenated `delta.content` of choice 0. */
  text: string;
  /** Concatenated `delta.reasoning` of choice 0. */
  reasoning: string;
  reasoningDetails: ReasoningDetail[];
  refusal: string;
  toolCalls: AccumulatedToolCall[];
  /** Last non-null value (the usage frame may repeat it or send null). */
  finishReason: string | null;
  nativeFinishReason: string | null;
  usage: ChatUsage | undefined;
  /** A mid-stream `error` object, when one arrived. */
  error: ErrorObject | undefined;
  /** `data:` chunks received (excluding `[DONE]`). */
  chunkCount: number;
  /** Keep-alive comment lines seen. */
  commentCount: number;
  sawDone: boolean;
  /** From the start of the call to the first data chunk. */
  timeToFirstChunkMs: number | undefined;
}

export interface StreamAccumulator {
  add(chunk: ChatCompletionChunk, nowMs: number): void;
  comment(): void;
  done(): void;
  /** A copy, safe to keep after more chunks arrive. */
  snapshot(): ChatStreamSummary;
}

/** Folds chunks into a summary. Pure; `startedAtMs` anchors time-to-first-chunk. */
export function createStreamAccumulator(startedAtMs: number): StreamAccumulator {
  const state: ChatStreamSummary = {
    id: undefined,
    model: undefined,
    provider: undefined,
    created: undefined,
    systemFingerprint: undefined,
    text: '',
    reasoning: '',
    reasoningDetails: [],
    refusal: '',
    toolCalls: [],
    finishReason: null,
    nativeFinishReason: null,
    usage: undefined,
    error: undefined,
    chunkCount: 0,
    commentCount: 0,
    sawDone: false,
    timeToFirstChunkMs: undefined,
  };
  const tools = new Map<number, AccumulatedToolCall>();
  const textParts: string[] = [];
  const reasoningParts: string[] = [];

  return {
    add(chunk, nowMs) {
      if (state.chunkCount === 0) state.timeToFirstChunkMs = nowMs - startedAtMs;
      state.chunkCount += 1;
      state.id ??= chunk.id ?? undefined;
      state.model ??= chunk.model ?? undefined;
      state.provider ??= chunk.provider ?? undefined;
      state.created ??= chunk.created ?? undefined;
      state.systemFingerprint ??= chunk.system_fingerprint ?? undefined;
      if (chunk.usage) state.usage = chunk.usage;
      if (chunk.error) state.error = chunk.error;
      for (const choice of chunk.choices ?? []) {
        if (choice.index !== 0) continue;
        if (choice.finish_reason) state.finishReason = choice.finish_reason;
        if (choice.native_finish_reason) state.nativeFinishReason = choice.native_finish_reason;
        if (choice.error && !state.error) state.error = choice.error;
        const delta = choice.delta;
        if (!delta) continue;
        if (delta.content) textParts.push(delta.content);
        if (delta.reasoning) reasoningParts.push(delta.reasoning);
        if (delta.refusal) state.refusal += delta.refusal;
        for (const detail of delta.reasoning_details ?? [])
          addReasoningDetail(state.reasoningDetails, detail);
        for (const fragment of delta.tool_calls ?? []) {
          let call = tools.get(fragment.index);
          if (!call) {
            call = {
              index: fragment.index,
              id: undefined,
              type: 'function',
              function: { name: '', arguments: '' },
            };
            tools.set(fragment.index, call);
          }
          if (fragment.id) call.id = fragment.id;
          if (fragment.type) call.type = fragment.type;
          // Names arrive whole (some providers repeat them on every fragment); arguments are appended.
          if (fragment.function?.name) call.function.name = fragment.function.name;
          if (fragment.function?.arguments) call.function.arguments += fragment.function.arguments;
        }
      }
    },
    comment() {
      state.commentCount += 1;
    },
    done() {
      state.sawDone = true;
    },
    snapshot() {
      return {
        ...state,
        text: textParts.join(''),
        reasoning: reasoningParts.join(''),
        reasoningDetails: [...state.reasoningDetails],
        toolCalls: [...tools.values()]
          .sort((a, b) => a.index - b.index)
          .map((call) => ({ ...call, function: { ...call.function } })),
      };
    },
  };
}

/** The fields of a reasoning detail a stream sends in pieces. */
const PIECEWISE_FIELDS = ['text', 'summary', 'data'] as const;

/**
 * Adds a streamed reasoning detail: a piece of the same block as the last one (same type, same
 * numeric index) is joined to it, so the summary holds whole blocks, as a plain call's message
 * does, and can be sent back as the next turn's history unmodified (§3.2). The last entry is
 * replaced, never changed in place: an earlier snapshot keeps what it had.
 */
function addReasoningDetail(details: ReasoningDetail[], piece: ReasoningDetail): void {
  const last = details.at(-1);
  if (!last || typeof piece.index !== 'number' || last.index !== piece.index || last.type !== piece.type) {
    details.push({ ...piece });
    return;
  }
  const joined: ReasoningDetail = { ...last };
  for (const [key, value] of Object.entries(piece)) {
    if (value === undefined || value === null) continue;
    const before = joined[key];
    joined[key] =
      (PIECEWISE_FIELDS as readonly string[]).includes(key) &&
      typeof before === 'string' &&
      typeof value === 'string'
        ? before + value
        : value;
  }
  details[details.length - 1] = joined;
}
