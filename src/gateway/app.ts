import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { isAPIError } from '../client/index.ts';
import { uuidv7 } from '../shared/ids.ts';
import { answerClientError } from './client-errors.ts';
import type { GatewayContext } from './gateway-context.ts';
import { errorBody, errorDialectOf, GatewayError, toGatewayError } from './gateway-error.ts';
import {
  bodyLengthWrong,
  bodyTooLarge,
  checkHeaderCount,
  INFERENCE_ROUTES,
  InferenceDoor,
  serveInference,
} from './inference-door.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerCatalogueRoutes } from './routes/catalogue.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerPassthroughRoutes } from './routes/passthrough.ts';

export interface GatewayAppOptions {
  bodyLimitBytes: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Origins allowed to call from a browser; none unless configured (CORS closed). */
  corsOrigins: readonly string[];
}

function noSchemaCompiler(): () => never {
  return () => {
    throw new Error('tollgate routes validate with zod: a route must not declare a Fastify JSON schema');
  };
}

/** The gateway's HTTP app: OpenAI-compatible routes under /v1, OpenRouter's under /api/v1. */
export function buildGatewayApp(ctx: GatewayContext, options: GatewayAppOptions): FastifyInstance {
  const door = new InferenceDoor(ctx, {
    bodyLimitBytes: options.bodyLimitBytes,
    maxHeaders: options.maxHeaders,
    corsConfigured: options.corsOrigins.length > 0,
  });
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes,
    genReqId: () => uuidv7(),
    return503OnClosing: true,
    // Requests Node's parser refuses, and URLs the router cannot decode, get the gateway's own
    // error body like every other refusal, not the framework's bare default.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, options),
    frameworkErrors: (error, request, reply) => {
      const refusal =
        error.code === 'FST_ERR_BAD_URL'
          ? new GatewayError(
              'invalid_request',
              `The path ${JSON.stringify(request.url.split('?')[0])} has a malformed percent-encoding; encode a % as %25.`,
            )
          : toGatewayError(error);
      ctx.metrics.recordError('http', refusal.code);
      // The option's reply is generic over route schemas; this one answers outside any route.
      void (reply as FastifyReply)
        .code(refusal.status)
        .header('x-tollgate-request-id', request.id)
        .send(errorBody(refusal, request.id, errorDialectOf(request.url)));
    },
    // Routes validate with zod, never with JSON schemas. Without compilers of its own, Fastify
    // would load ajv and fast-json-stringify (about 100 modules) that nothing here uses.
    schemaController: {
      compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler },
    },
    // Node enforces these before any of our code runs: oversized headers get 431, a client that
    // sends its headers or its request too slowly gets 408 and is disconnected.
    serverFactory: (handler) =>
      createServer(
        {
          maxHeaderSize: options.maxHeaderBytes,
          headersTimeout: options.headersTimeoutMs,
          requestTimeout: options.requestTimeoutMs,
          // How often Node looks for clients past those deadlines (its default is every 30 s).
          connectionsCheckingInterval: Math.max(100, Math.min(1_000, options.headersTimeoutMs / 2)),
          noDelay: true,
        },
        // Inference calls take the door in front of the framework (see InferenceDoor).
        (req, res) => {
          if (!door.tryHandle(req, res)) handler(req, res);
        },
      ),
  });
  app.addHook('preClose', (done) => {
    door.close();
    done();
  });
  app.addHook('onRequest', async (request) => {
    checkHeaderCount(request.raw.rawHeaders, options.maxHeaders);
  });

  // Bodies arrive as bytes: the hot path forwards them unchanged and parses a copy once.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // The same routes in the framework, for what the door leaves to it (browser calls under CORS).
  for (const [path, route] of Object.entries(INFERENCE_ROUTES)) {
    for (const prefix of ['/v1', '/api/v1']) {
      app.post(`${prefix}${path}`, async (request, reply) => {
        reply.hijack();
        const incoming = { headers: request.headers, rawHeaders: request.raw.rawHeaders, body: request.body };
        await serveInference(ctx, route, incoming, reply.raw, () => request.id);
      });
    }
  }
  registerCatalogueRoutes(app, ctx);
  registerHealthRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerPassthroughRoutes(app, ctx);

  if (options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins);
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin && (allowed.has(origin) || allowed.has('*'))) {
        reply.header('access-control-allow-origin', origin);
        reply.header('vary', 'origin');
        reply.header(
          'access-control-allow-headers',
          // Anthropic's SDK sends its key and version in headers of its own.
          'authorization, content-type, x-tollgate-module, x-tollgate-user, x-tollgate-tags, x-api-key, ' +
            'anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access',
        );
        reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
      }
      if (request.method === 'OPTIONS') return reply.code(204).send();
    });
  }

  const inferencePaths = new Set(
    Object.keys(INFERENCE_ROUTES).flatMap((path) => [`/v1${path}`, `/api/v1${path}`]),
  );
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const error = inferencePaths.has(path)
      ? new GatewayError('method_not_allowed', `${path} takes POST, not ${request.method}.`, {
          headers: { allow: 'POST' },
        })
      : new GatewayError('not_found', `No route ${request.method} ${path} on tollgate.`);
    void reply.headers(error.headers);
    return reply.code(error.status).send(errorBody(error, request.id, errorDialectOf(request.url)));
  });
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const gatewayError = frameworkError(error, options.bodyLimitBytes) ?? toGatewayError(error);
    ctx.metrics.recordError('http', gatewayError.code);
    if (isAPIError(error)) {
      // OpenRouter's answer on a passed-through or catalogue route, logged whole (it is already
      // redacted); the caller gets the safe message.
      ctx.logger.warn(
        {
          requestId: request.id,
          method: request.method,
          url: request.url,
          status: error.status,
          code: error.code,
          errorType: error.errorType,
          provider: error.providerName,
          generationId: error.generationId,
          error: error.message,
          metadata: error.metadata,
        },
        'upstream error',
      );
    } else if (gatewayError.status >= 500) {
      ctx.logger.error({ requestId: request.id, url: request.url, error: error.message }, 'request failed');
    }
    return reply
      .code(gatewayError.status)
      .headers({ ...gatewayError.headers, 'x-tollgate-request-id': request.id })
      .send(errorBody(gatewayError, request.id, errorDialectOf(request.url)));
  });
  return app;
}

/** Fastify's own refusals (too large, bad content type…) in the gateway's vocabulary. */
function frameworkError(error: FastifyError | Error, bodyLimitBytes: number): GatewayError | undefined {
  const code = 'code' in error ? error.code : undefined;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(bodyLimitBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return bodyLengthWrong();
    default:
      return undefined;
  }
}
