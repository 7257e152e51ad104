import { authenticate, bearerToken, isErrorReply } from './auth.ts';
import { type CatalogueModel, renderEndpoint, renderEndpoints } from './catalogue.ts';
import { invalidRequest, notFound } from './errors.ts';
import { type RequestContext, sendError, sendJson } from './http.ts';
import { renderProvider } from './providers.ts';

/** The catalogue routes: /models, /models/count, /models/user, /model/…, endpoints, parameters, providers. */

function commaList(value: string | null): string[] | null {
  if (value === null || value.trim() === '') return null;
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

function filterModels(ctx: RequestContext, defaultOutput: string): CatalogueModel[] {
  const q = ctx.query;
  const outputs = commaList(q.get('output_modalities')) ?? [defaultOutput];
  const inputs = commaList(q.get('input_modalities'));
  const params = commaList(q.get('supported_parameters'));
  const search = q.get('q')?.toLowerCase() ?? null;
  return ctx.core.catalogue.models.filter((m) => {
    const spec = m.spec;
    if (!outputs.includes('all') && !spec.outputModalities.some((o) => outputs.includes(o))) return false;
    if (inputs !== null && !inputs.every((i) => spec.inputModalities.includes(i))) return false;
    if (params !== null && !params.every((p) => m.supported.has(p))) return false;
    if (search !== null && !spec.id.includes(search) && !spec.name.toLowerCase().includes(search))
      return false;
    return true;
  });
}

function paging(ctx: RequestContext): { offset: number; limit: number; paged: boolean } | string {
  const rawOffset = ctx.query.get('offset');
  const rawLimit = ctx.query.get('limit');
  const offset = rawOffset === null ? 0 : Number(rawOffset);
  const limit = rawLimit === null ? 500 : Number(rawLimit);
  if (!Number.isInteger(offset) || offset < 0) return '"offset" must be an integer ≥ 0.';
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return '"limit" must be an integer from 1 to 1000.';
  return { offset, limit, paged: rawOffset !== null || rawLimit !== null };
}

/** GET /models, /models/user and /embeddings/models. */
export function handleModelList(
  ctx: RequestContext,
  defaultOutput: 'text' | 'embeddings',
  requireKey: boolean,
) {
  if (requireKey) {
    const key = authenticate(ctx, 'any');
    if (isErrorReply(key)) return sendError(ctx, key);
  }
  const page = paging(ctx);
  if (typeof page === 'string') return sendError(ctx, invalidRequest(page));
  const models = filterModels(ctx, defaultOutput);
  const slice = page.paged ? models.slice(page.offset, page.offset + page.limit) : models;
  const nextOffset = page.offset + page.limit;
  const base = defaultOutput === 'embeddings' ? '/api/v1/embeddings/models' : '/api/v1/models';
  sendJson(ctx, 200, {
    data: slice.map((m) => m.json),
    total_count: models.length,
    links: {
      next:
        page.paged && nextOffset < models.length ? `${base}?offset=${nextOffset}&limit=${page.limit}` : null,
    },
  });
}

export function handleModelCount(ctx: RequestContext) {
  sendJson(ctx, 200, { data: { count: filterModels(ctx, 'text').length } });
}

function findModel(ctx: RequestContext, author: string, slug: string): CatalogueModel | undefined {
  return ctx.core.catalogue.resolve(`${decodeURIComponent(author)}/${decodeURIComponent(slug)}`);
}

export function handleModel(ctx: RequestContext, author: string, slug: string) {
  const model = findModel(ctx, author, slug);
  if (model === undefined) return sendError(ctx, notFound(`Model ${author}/${slug} not found`));
  sendJson(ctx, 200, { data: model.json });
}

export function handleModelEndpoints(ctx: RequestContext, author: string, slug: string) {
  const model = findModel(ctx, author, slug);
  if (model === undefined) return sendError(ctx, notFound(`Model ${author}/${slug} not found`));
  sendJson(ctx, 200, { data: renderEndpoints(model, bearerToken(ctx) !== undefined) });
}

export function handleParameters(ctx: RequestContext, author: string, slug: string) {
  const key = authenticate(ctx, 'any');
  if (isErrorReply(key)) return sendError(ctx, key);
  const model = findModel(ctx, author, slug);
  if (model === undefined) return sendError(ctx, notFound(`Model ${author}/${slug} not found`));
  const provider = ctx.query.get('provider');
  if (
    provider !== null &&
    !model.endpoints.some((e) => e.provider.name === provider || e.provider.slug === provider)
  ) {
    return sendError(ctx, notFound(`Provider ${provider} does not serve ${model.spec.id}`));
  }
  sendJson(ctx, 200, {
    data: { model: model.spec.id, supported_parameters: model.spec.supportedParameters },
  });
}

export function handleProviders(ctx: RequestContext) {
  sendJson(ctx, 200, { data: ctx.core.catalogue.providers.map(renderProvider) });
}

/** GET /endpoints/zdr: every simulated endpoint is zero-data-retention. */
export function handleZdrEndpoints(ctx: RequestContext) {
  const authenticated = bearerToken(ctx) !== undefined;
  const data = ctx.core.catalogue.models.flatMap((m) =>
    m.endpoints.map((e) => renderEndpoint(m, e, authenticated)),
  );
  sendJson(ctx, 200, { data });
}
