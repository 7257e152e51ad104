import { handleActivity, handleCredits, handleCurrentKey, handleGeneration } from './account-routes.ts';
import { handleCreateAuthCode, handleExchangeAuthCode } from './auth-routes.ts';
import { handleQueueFaults } from './control-routes.ts';
import { handleEmbeddings } from './embeddings-route.ts';
import { errorReply, notFound } from './errors.ts';
import { type RequestContext, sendError } from './http.ts';
import { handleInference } from './inference-route.ts';
import { handleCreateKey, handleKey, handleListKeys } from './keys-routes.ts';
import {
  handleModel,
  handleModelCount,
  handleModelEndpoints,
  handleModelList,
  handleParameters,
  handleProviders,
  handleZdrEndpoints,
} from './models-routes.ts';

type Handler = (ctx: RequestContext) => void | Promise<void>;

/** Fixed paths below /api/v1, by method. */
const ROUTES: Record<string, Record<string, Handler>> = {
  '/chat/completions': { POST: (ctx) => handleInference(ctx, 'chat') },
  '/completions': { POST: (ctx) => handleInference(ctx, 'completion') },
  '/responses': { POST: (ctx) => handleInference(ctx, 'responses') },
  '/messages': { POST: (ctx) => handleInference(ctx, 'messages') },
  '/embeddings': { POST: handleEmbeddings },
  '/embeddings/models': { GET: (ctx) => handleModelList(ctx, 'embeddings', false) },
  '/models': { GET: (ctx) => handleModelList(ctx, 'text', false) },
  '/models/count': { GET: handleModelCount },
  '/models/user': { GET: (ctx) => handleModelList(ctx, 'text', true) },
  '/providers': { GET: handleProviders },
  '/endpoints/zdr': { GET: handleZdrEndpoints },
  '/generation': { GET: handleGeneration },
  '/credits': { GET: handleCredits },
  '/key': { GET: handleCurrentKey },
  '/auth/key': { GET: handleCurrentKey },
  '/keys': { GET: handleListKeys, POST: handleCreateKey },
  '/activity': { GET: handleActivity },
  '/auth/keys': { POST: handleExchangeAuthCode },
  '/auth/keys/code': { POST: handleCreateAuthCode },
  '/simulator/faults': { POST: handleQueueFaults },
};

/** Paths with parameters: pattern, then handler per method given the captured groups. */
const PATTERNS: [RegExp, Record<string, (ctx: RequestContext, a: string, b: string) => void>][] = [
  [/^\/keys\/([^/]+)$/, { GET: handleKey, PATCH: handleKey, DELETE: handleKey }],
  [/^\/model\/([^/]+)\/([^/]+)$/, { GET: handleModel }],
  [/^\/models\/([^/]+)\/([^/]+)\/endpoints$/, { GET: handleModelEndpoints }],
  [/^\/parameters\/([^/]+)\/([^/]+)$/, { GET: handleParameters }],
];

export async function route(ctx: RequestContext): Promise<void> {
  const fixed = ROUTES[ctx.path];
  if (fixed !== undefined) {
    const handler = fixed[ctx.method];
    if (handler === undefined) return methodNotAllowed(ctx, Object.keys(fixed));
    return handler(ctx);
  }
  for (const [pattern, handlers] of PATTERNS) {
    const match = pattern.exec(ctx.path);
    if (match === null) continue;
    const handler = handlers[ctx.method];
    if (handler === undefined) return methodNotAllowed(ctx, Object.keys(handlers));
    return handler(ctx, match[1] ?? '', match[2] ?? '');
  }
  sendError(ctx, notFound(`No route for ${ctx.method} /api/v1${ctx.path}`));
}

function methodNotAllowed(ctx: RequestContext, allowed: string[]): void {
  sendError(
    ctx,
    errorReply(
      405,
      `Method ${ctx.method} is not allowed on /api/v1${ctx.path}`,
      'invalid_request',
      {},
      { Allow: allowed.join(', ') },
    ),
  );
}
