import {
  type Completion,
  type CompletionCreateParams,
  CompletionSchema,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  EmbeddingsResponseSchema,
  type Generation,
  type GenerationResponse,
  GenerationResponseSchema,
  type Model,
  type ModelList,
  ModelListSchema,
} from '../../shared/wire/index.ts';
import { type CallContext, callJson } from '../call.ts';
import type { FinishReasonError } from '../client-errors.ts';
import { finishReasonError } from '../finish-reason.ts';
import type { ApiResult, RequestOptions } from '../types.ts';

export interface GenerationResource {
  /**
   * `GET /generation?id=`: cost, native token counts, latency and every provider attempt.
   * Answers 404 for a while after the completion ends (§7): poll with backoff.
   */
  get(id: string, options?: RequestOptions): Promise<ApiResult<GenerationResponse, Generation>>;
}

export interface EmbeddingsResource {
  /** `POST /embeddings`. */
  create(params: EmbeddingsRequest, options?: RequestOptions): Promise<ApiResult<EmbeddingsResponse>>;
  /** `GET /embeddings/models`. */
  models(options?: RequestOptions): Promise<ApiResult<ModelList, Model[]>>;
}

export interface CompletionResult extends ApiResult<Completion> {
  text: string;
  finishReason: string | null;
  finishReasonError: FinishReasonError | undefined;
}

export interface CompletionsResource {
  /** Legacy `POST /completions` (non-streaming). */
  create(params: CompletionCreateParams, options?: RequestOptions): Promise<CompletionResult>;
}

export function createGenerationResource(ctx: CallContext): GenerationResource {
  return {
    get: (id, options) =>
      callJson(
        ctx,
        { method: 'GET', path: '/generation', query: { id } },
        GenerationResponseSchema,
        (b) => b.data,
        options,
      ),
  };
}

export function createEmbeddingsResource(ctx: CallContext): EmbeddingsResource {
  return {
    create: (params, options) =>
      callJson(
        ctx,
        { method: 'POST', path: '/embeddings', body: params },
        EmbeddingsResponseSchema,
        (b) => b,
        options,
      ),
    models: (options) =>
      callJson(ctx, { method: 'GET', path: '/embeddings/models' }, ModelListSchema, (b) => b.data, options),
  };
}

export function createCompletionsResource(ctx: CallContext): CompletionsResource {
  return {
    async create(params, options) {
      const result = await callJson(
        ctx,
        { method: 'POST', path: '/completions', body: { ...params, stream: false } },
        CompletionSchema,
        (b) => b,
        options,
      );
      const choice = result.body.choices[0];
      const finishReason = choice?.finish_reason ?? null;
      return {
        ...result,
        text: choice?.text ?? '',
        finishReason,
        finishReasonError: finishReasonError({
          finishReason,
          nativeFinishReason: choice?.native_finish_reason,
          choiceError: choice?.error,
          generationId: result.generationId,
          attempts: result.attempts,
        }),
      };
    },
  };
}
