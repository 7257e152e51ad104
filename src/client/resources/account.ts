import {
  type Activity,
  type ActivityItem,
  ActivitySchema,
  type ApiKey,
  type CreateKeyRequest,
  type CreateKeyResponse,
  CreateKeyResponseSchema,
  type Credits,
  CreditsSchema,
  type DeleteKeyResponse,
  DeleteKeyResponseSchema,
  type KeyInfo,
  KeyInfoSchema,
  type KeyList,
  KeyListSchema,
  type KeyResponse,
  KeyResponseSchema,
  type UpdateKeyRequest,
} from '../../shared/wire/index.ts';
import { type CallContext, callJson } from '../call.ts';
import type { ApiResult, RequestOptions } from '../types.ts';
import { type QueryInput, segment, toQuery } from './paths.ts';

export interface CreditsResource {
  /** `GET /credits` (management key). */
  get(options?: RequestOptions): Promise<ApiResult<Credits, Credits['data']>>;
}

export interface KeyResource {
  /** `GET /key`: the calling key's limits and usage. */
  get(options?: RequestOptions): Promise<ApiResult<KeyInfo, KeyInfo['data']>>;
}

export interface KeyListQuery extends QueryInput {
  offset?: number;
  include_disabled?: boolean;
  workspace_id?: string;
}

/** §10 key management (management key). `hash` is the key's SHA-256 hex, never the key. */
export interface KeysResource {
  list(query?: KeyListQuery, options?: RequestOptions): Promise<ApiResult<KeyList, ApiKey[]>>;
  /** The plaintext key is only in `body.key` of this response. */
  create(params: CreateKeyRequest, options?: RequestOptions): Promise<ApiResult<CreateKeyResponse, ApiKey>>;
  get(hash: string, options?: RequestOptions): Promise<ApiResult<KeyResponse, ApiKey>>;
  update(
    hash: string,
    params: UpdateKeyRequest,
    options?: RequestOptions,
  ): Promise<ApiResult<KeyResponse, ApiKey>>;
  delete(hash: string, options?: RequestOptions): Promise<ApiResult<DeleteKeyResponse>>;
}

export interface ActivityQuery extends QueryInput {
  /** YYYY-MM-DD within the last 30 UTC days. */
  date?: string;
  api_key_hash?: string;
  user_id?: string;
  workspace_id?: string;
  group_by?: string;
}

export interface ActivityResource {
  /** `GET /activity` (management key): completed UTC days only. */
  list(query?: ActivityQuery, options?: RequestOptions): Promise<ApiResult<Activity, ActivityItem[]>>;
}

export function createCreditsResource(ctx: CallContext): CreditsResource {
  return {
    get: async (options) =>
      callJson(ctx, { method: 'GET', path: '/credits' }, CreditsSchema, (b) => b.data, options),
  };
}

export function createKeyResource(ctx: CallContext): KeyResource {
  return {
    get: async (options) =>
      callJson(ctx, { method: 'GET', path: '/key' }, KeyInfoSchema, (b) => b.data, options),
  };
}

export function createKeysResource(ctx: CallContext): KeysResource {
  return {
    list: async (query, options) =>
      callJson(
        ctx,
        { method: 'GET', path: '/keys', query: toQuery(query) },
        KeyListSchema,
        (b) => b.data,
        options,
      ),
    // Not retried unless asked: a create whose answer was lost has made a key (whose secret is
    // then never seen), and a retry would make another.
    create: async (params, options) =>
      callJson(ctx, { method: 'POST', path: '/keys', body: params }, CreateKeyResponseSchema, (b) => b.data, {
        maxRetries: 0,
        ...options,
      }),
    get: async (hash, options) =>
      callJson(
        ctx,
        { method: 'GET', path: `/keys/${segment(hash)}` },
        KeyResponseSchema,
        (b) => b.data,
        options,
      ),
    update: async (hash, params, options) =>
      callJson(
        ctx,
        { method: 'PATCH', path: `/keys/${segment(hash)}`, body: params },
        KeyResponseSchema,
        (b) => b.data,
        options,
      ),
    // Not retried unless asked: a delete whose answer was lost has deleted the key, and its
    // retry would fail with a 404 for a key that is gone as asked.
    delete: async (hash, options) =>
      callJson(ctx, { method: 'DELETE', path: `/keys/${segment(hash)}` }, DeleteKeyResponseSchema, (b) => b, {
        maxRetries: 0,
        ...options,
      }),
  };
}

export function createActivityResource(ctx: CallContext): ActivityResource {
  return {
    list: async (query, options) =>
      callJson(
        ctx,
        { method: 'GET', path: '/activity', query: toQuery(query) },
        ActivitySchema,
        (b) => b.data,
        options,
      ),
  };
}
