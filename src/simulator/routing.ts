import type { CatalogueEndpoint, CatalogueModel } from './catalogue.ts';
import type { ProviderPreferences } from './inference-request.ts';

/**
 * Provider routing, simply: `only` and `ignore` filter the model's endpoints, `order` puts the
 * named providers first (and, with allow_fallbacks false, drops the rest). Names match the
 * routing slug (`google-vertex`, optionally with a region suffix) or the display name.
 */
export function routeEndpoints(model: CatalogueModel, prefs: ProviderPreferences): CatalogueEndpoint[] {
  let endpoints = model.endpoints;
  if (prefs.only !== null) {
    const only = prefs.only;
    endpoints = endpoints.filter((e) => only.some((name) => matches(e, name)));
  }
  if (prefs.ignore !== null) {
    const ignore = prefs.ignore;
    endpoints = endpoints.filter((e) => !ignore.some((name) => matches(e, name)));
  }
  if (prefs.order !== null) {
    const ordered: CatalogueEndpoint[] = [];
    for (const name of prefs.order) {
      const e = endpoints.find((candidate) => matches(candidate, name) && !ordered.includes(candidate));
      if (e !== undefined) ordered.push(e);
    }
    endpoints = prefs.allowFallbacks
      ? [...ordered, ...endpoints.filter((e) => !ordered.includes(e))]
      : ordered;
  }
  return endpoints;
}

function matches(endpoint: CatalogueEndpoint, name: string): boolean {
  const wanted = name.toLowerCase();
  const slug = wanted.split('/')[0] ?? wanted;
  return slug === endpoint.provider.slug || wanted === endpoint.provider.name.toLowerCase();
}
