import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The assets folder beside this file (running from src/), else the sources' one (running the
 * compiled dist/, which tsc does not copy assets into; the package ships src/ too).
 */
let assetsFolder: URL | undefined;
function own(name: string): string {
  assetsFolder ??=
    [new URL('./assets/', import.meta.url), new URL('../../src/dashboard/assets/', import.meta.url)].find(
      (folder) => existsSync(new URL('index.html', folder)),
    ) ?? new URL('./assets/', import.meta.url);
  return fileURLToPath(new URL(name, assetsFolder));
}
const require = createRequire(import.meta.url);

/**
 * Every file the dashboard serves, by the name in its URL. A URL is looked up here and never
 * joined onto a folder, so no path (`..`, encoded or not) can reach any other file.
 */
const FILES: ReadonlyMap<string, { path: () => string; contentType: string }> = new Map([
  ['index.html', { path: () => own('index.html'), contentType: 'text/html; charset=utf-8' }],
  ['style.css', { path: () => own('style.css'), contentType: CSS }],
  ['app.js', { path: () => own('app.js'), contentType: JS }],
  ['api.js', { path: () => own('api.js'), contentType: JS }],
  ['dom.js', { path: () => own('dom.js'), contentType: JS }],
  ['chart.js', { path: () => own('chart.js'), contentType: JS }],
  ['panels.js', { path: () => own('panels.js'), contentType: JS }],
  ['requests.js', { path: () => own('requests.js'), contentType: JS }],
  // uPlot from node_modules (resolved like an import, so hoisting does not matter): no CDN.
  ['uplot.js', { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), contentType: JS }],
  ['uplot.css', { path: () => require.resolve('uplot/dist/uPlot.min.css'), contentType: CSS }],
]);

export const ASSET_NAMES: readonly string[] = [...FILES.keys()];

/** Reads allow-listed files once and keeps them: they are small and do not change while running. */
export function createAssetStore(): { get(name: string): Promise<StaticAsset | undefined> } {
  const cache = new Map<string, Promise<StaticAsset>>();
  return {
    get(name) {
      const file = FILES.get(name);
      if (!file) return Promise.resolve(undefined);
      let loading = cache.get(name);
      if (!loading) {
        loading = readFile(file.path()).then((body) => ({
          body,
          contentType: file.contentType,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        }));
        // A failed read is retried next time rather than cached.
        loading.catch(() => cache.delete(name));
        cache.set(name, loading);
      }
      return loading;
    },
  };
}
