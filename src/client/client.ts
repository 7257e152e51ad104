import { systemClock } from '../shared/clock.ts';
import type { CallContext } from './call.ts';
import { type ResolvedClientOptions, resolveClientOptions } from './client-env.ts';
import { createLimiter, type Limiter } from './limiter.ts';
import { checkClientOptions } from './option-checks.ts';
import {
  type ActivityResource,
  type CreditsResource,
  createActivityResource,
  createCreditsResource,
  createKeyResource,
  createKeysResource,
  type KeyResource,
  type KeysResource,
} from './resources/account.ts';
import { type AuthResource, createAuthResource } from './resources/auth.ts';
import { type ChatResource, createChatResource } from './resources/chat.ts';
import { createForwardResource, type ForwardResource } from './resources/forward.ts';
import {
  type CompletionsResource,
  createCompletionsResource,
  createEmbeddingsResource,
  createGenerationResource,
  type EmbeddingsResource,
  type GenerationResource,
} from './resources/inference.ts';
import {
  createModelsResource,
  createProvidersResource,
  type ModelsResource,
  type ProvidersResource,
} from './resources/models.ts';
import { resolveRetryPolicy } from './retry-policy.ts';
import { createOpenRouterTransport, type OpenRouterTransport } from './transport.ts';
import type { ClientOptions } from './types.ts';

export interface OpenRouterClient {
  chat: ChatResource;
  completions: CompletionsResource;
  embeddings: EmbeddingsResource;
  generation: GenerationResource;
  models: ModelsResource;
  providers: ProvidersResource;
  credits: CreditsResource;
  key: KeyResource;
  keys: KeysResource;
  activity: ActivityResource;
  auth: AuthResource;
  /** Byte-for-byte forwarding with the retry policy, for proxies (the gateway). */
  forward: ForwardResource;
  /** The raw connection (key injected, bytes untouched), for forwarding proxies. */
  transport: OpenRouterTransport;
  limiter: Limiter | undefined;
  /** Effective settings, without the API key. */
  readonly settings: Readonly<{
    baseUrl: string;
    timeoutMs: number;
    totalTimeoutMs: number | undefined;
    streamIdleTimeoutMs: number;
    hasApiKey: boolean;
  }>;
  /** Closes the client's own connection pool (not an injected transport). */
  close(): Promise<void>;
}

/**
 * A typed OpenRouter client. Takes options only: to fill gaps from the environment or `.env`,
 * pass the result of `resolveClientOptions(options, env)` / `loadClientOptions(...)`.
 */
export function createOpenRouterClient(
  options: ClientOptions | ResolvedClientOptions = {},
): OpenRouterClient {
  // resolveClientOptions checks what it resolves; an already resolved object may have been edited since.
  const resolved = 'sources' in options ? checked(options) : resolveClientOptions(options, {});
  const clock = resolved.clock ?? systemClock;
  const ownsTransport = resolved.transport === undefined;
  const transport =
    resolved.transport ??
    createOpenRouterTransport({
      baseUrl: resolved.baseUrl,
      apiKey: resolved.apiKey,
      clock,
      dispatcher: resolved.dispatcher,
      headers: resolved.headers,
      connections: resolved.connections,
    });
  const limiter = resolved.limiter ? createLimiter(resolved.limiter, clock) : undefined;
  const ctx: CallContext = {
    transport,
    clock,
    policy: resolveRetryPolicy(resolved.retry, resolved.maxRetries),
    timeoutMs: resolved.timeoutMs,
    totalTimeoutMs: resolved.totalTimeoutMs,
    streamIdleTimeoutMs: resolved.streamIdleTimeoutMs,
    limiter,
    onAttempt: resolved.onAttempt,
    random: resolved.random ?? Math.random,
    secrets: resolved.apiKey ? [resolved.apiKey] : [],
  };
  return {
    chat: createChatResource(ctx),
    completions: createCompletionsResource(ctx),
    embeddings: createEmbeddingsResource(ctx),
    generation: createGenerationResource(ctx),
    models: createModelsResource(ctx),
    providers: createProvidersResource(ctx),
    credits: createCreditsResource(ctx),
    key: createKeyResource(ctx),
    keys: createKeysResource(ctx),
    activity: createActivityResource(ctx),
    auth: createAuthResource(ctx),
    forward: createForwardResource(ctx),
    transport,
    limiter,
    settings: Object.freeze({
      baseUrl: transport.baseUrl,
      timeoutMs: resolved.timeoutMs,
      totalTimeoutMs: resolved.totalTimeoutMs,
      streamIdleTimeoutMs: resolved.streamIdleTimeoutMs,
      hasApiKey: resolved.apiKey !== undefined,
    }),
    close: async () => {
      if (ownsTransport) await transport.close();
    },
  };
}

function checked(options: ResolvedClientOptions): ResolvedClientOptions {
  checkClientOptions(options);
  return options;
}
