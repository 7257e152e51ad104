import {
  type Model,
  type ModelCount,
  ModelCountSchema,
  type ModelEndpoints,
  ModelEndpointsSchema,
  type ModelList,
  ModelListSchema,
  type ModelParameters,
  ModelParametersSchema,
  type ModelResponse,
  ModelResponseSchema,
  type ProviderInfo,
  type ProviderList,
  ProviderListSchema,
} from '../../shared/wire/index.ts';
import { type CallContext, callJson } from '../call.ts';
import type { ApiResult, RequestOptions } from '../types.ts';
import { modelPath, type QueryInput, toQuery } from './paths.ts';

/** §8.1 query; list values are sent comma-separated. Unknown keys pass through. */
export interface ModelListQuery extends QueryInput {
  offset?: number;
  limit?: number;
  category?: string;
  supported_parameters?: string | readonly string[];
  /** Default on the server: `text`. Use `all` for every modality. */
  output_modalities?: string | readonly string[];
  input_modalities?: string | readonly string[];
  sort?: string;
  q?: string;
}

export interface ModelsResource {
  /** `GET /models`. */
  list(query?: ModelListQuery, options?: RequestOptions): Promise<ApiResult<ModelList, Model[]>>;
  /** `GET /models/count`. */
  count(
    query?: { output_modalities?: string | readonly string[] },
    options?: RequestOptions,
  ): Promise<ApiResult<ModelCount, ModelCount['data']>>;
  /** `GET /models/user`: filtered by the caller's provider preferences, privacy settings and guardrails. */
  user(
    query?: { offset?: number; limit?: number },
    options?: RequestOptions,
  ): Promise<ApiResult<ModelList, Model[]>>;
  /** `GET /model/{author}/{slug}`: resolves aliases and variants; 404 if unknown. */
  get(modelId: string, options?: RequestOptions): Promise<ApiResult<ModelResponse, Model>>;
  /** `GET /models/{author}/{slug}/endpoints`. */
  endpoints(
    modelId: string,
    options?: RequestOptions,
  ): Promise<ApiResult<ModelEndpoints, ModelEndpoints['data']>>;
  /** Legacy `GET /parameters/{author}/{slug}[?provider=]`. */
  parameters(
    modelId: string,
    query?: { provider?: string },
    options?: RequestOptions,
  ): Promise<ApiResult<ModelParameters, ModelParameters['data']>>;
}

export interface ProvidersResource {
  /** `GET /providers`. */
  list(options?: RequestOptions): Promise<ApiResult<ProviderList, ProviderInfo[]>>;
}

export function createModelsResource(ctx: CallContext): ModelsResource {
  return {
    list: async (query, options) =>
      callJson(
        ctx,
        { method: 'GET', path: '/models', query: toQuery(query) },
        ModelListSchema,
        (b) => b.data,
        options,
      ),
    count: async (query, options) =>
      callJson(
        ctx,
        { method: 'GET', path: '/models/count', query: toQuery(query) },
        ModelCountSchema,
        (b) => b.data,
        options,
      ),
    user: async (query, options) =>
      callJson(
        ctx,
        { method: 'GET', path: '/models/user', query: toQuery(query) },
        ModelListSchema,
        (b) => b.data,
        options,
      ),
    get: async (modelId, options) =>
      callJson(
        ctx,
        { method: 'GET', path: `/model${modelPath(modelId)}` },
        ModelResponseSchema,
        (b) => b.data,
        options,
      ),
    endpoints: async (modelId, options) =>
      callJson(
        ctx,
        { method: 'GET', path: `/models${modelPath(modelId)}/endpoints` },
        ModelEndpointsSchema,
        (b) => b.data,
        options,
      ),
    parameters: async (modelId, query, options) =>
      callJson(
        ctx,
        { method: 'GET', path: `/parameters${modelPath(modelId)}`, query: toQuery(query) },
        ModelParametersSchema,
        (b) => b.data,
        options,
      ),
  };
}

export function createProvidersResource(ctx: CallContext): ProvidersResource {
  return {
    list: async (options) =>
      callJson(ctx, { method: 'GET', path: '/providers' }, ProviderListSchema, (b) => b.data, options),
  };
}
