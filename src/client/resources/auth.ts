import { type AuthKeyExchangeResponse, AuthKeyExchangeResponseSchema } from '../../shared/wire/index.ts';
import { type CallContext, callJson } from '../call.ts';
import type { ApiResult, RequestOptions } from '../types.ts';

export interface ExchangeCodeParams {
  /** The `code` query parameter OpenRouter redirected back with. */
  code: string;
  /** The verifier whose challenge started the flow (see createPkceVerifier / pkceChallenge). */
  codeVerifier?: string;
  codeChallengeMethod?: 'S256' | 'plain';
}

export interface AuthResource {
  /** `POST /auth/keys`: trade an OAuth PKCE code for a user-controlled API key (in `data.key`). */
  exchangeCode(
    params: ExchangeCodeParams,
    options?: RequestOptions,
  ): Promise<ApiResult<AuthKeyExchangeResponse>>;
}

export function createAuthResource(ctx: CallContext): AuthResource {
  return {
    exchangeCode: (params, options) =>
      callJson(
        ctx,
        {
          method: 'POST',
          path: '/auth/keys',
          body: {
            code: params.code,
            ...(params.codeVerifier === undefined ? {} : { code_verifier: params.codeVerifier }),
            ...(params.codeChallengeMethod === undefined
              ? {}
              : { code_challenge_method: params.codeChallengeMethod }),
          },
        },
        AuthKeyExchangeResponseSchema,
        (b) => b,
        // Retrying a consumed code cannot succeed and might hide the first answer.
        { maxRetries: 0, ...options },
      ),
  };
}
