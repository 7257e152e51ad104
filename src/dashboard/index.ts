/**
 * The dashboard: one page served by the gateway at `/`, its static assets, and the JSON it reads
 * (admin only). Reaches the ledger only through its report API, so every value is a bound parameter.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../ledger/index.ts';
import { registerDashboardApi } from './api-routes.ts';
import { createAssetStore, type StaticAsset } from './static-assets.ts';

export { ASSET_NAMES } from './static-assets.ts';

export interface DashboardOptions {
  ledger: Ledger;
  /**
   * Throws (an error the app maps to 401/403) unless the caller may see the dashboard's data:
   * the admin key, or anyone while the gateway runs open on loopback.
   */
  authorize(request: FastifyRequest): Promise<void>;
  /** Epoch ms; a parameter so tests can pin "now". */
  now?: () => number;
}

/**
 * The page holds no data (it fetches it with the key), so it and its assets are public; the
 * policy still forbids every script, style or connection that is not the gateway's own.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: StaticAsset) {
  reply.headers({ ...PAGE_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' });
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}

function notFound(request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({
    error: {
      message: 'No such dashboard file.',
      type: 'invalid_request_error',
      code: 'not_found',
      param: null,
      request_id: request.id,
    },
  });
}

export function registerDashboard(app: FastifyInstance, options: DashboardOptions): void {
  const assets = createAssetStore();
  const now = options.now ?? Date.now;

  app.get('/', async (request, reply) => {
    const page = await assets.get('index.html');
    return page ? sendAsset(request, reply, page) : notFound(request, reply);
  });
  app.get('/dashboard', async (_request, reply) => reply.redirect('/', 302));
  app.get<{ Params: { '*': string } }>('/dashboard/assets/*', async (request, reply) => {
    // Looked up by exact name in an allow-list; `index.html` is served at `/` only.
    const name = request.params['*'];
    const asset = name === 'index.html' ? undefined : await assets.get(name);
    return asset ? sendAsset(request, reply, asset) : notFound(request, reply);
  });

  registerDashboardApi(app, { ledger: options.ledger, authorize: options.authorize, now });
}
