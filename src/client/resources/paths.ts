import type { QueryValue } from '../transport.ts';

/**
 * `author/slug[:variant]` → `/author/slug:variant` with each segment URL-encoded. The colon of a
 * variant is kept literal, as OpenRouter's own links write it.
 */
export function modelPath(modelId: string): string {
  const slash = modelId.indexOf('/');
  if (slash <= 0 || slash === modelId.length - 1) {
    throw new TypeError(
      `Expected a model id like "author/slug", got ${JSON.stringify(modelId.slice(0, 80))}`,
    );
  }
  const encode = (segment: string) => encodeURIComponent(segment).replace(/%3A/gi, ':');
  return `/${encode(modelId.slice(0, slash))}/${encode(modelId.slice(slash + 1))}`;
}

export function segment(value: string): string {
  if (value === '') throw new TypeError('Path parameter must not be empty');
  return encodeURIComponent(value);
}

/** Query objects as the endpoints take them: list values become comma-separated. */
export type QueryInput = Record<string, QueryValue | readonly string[]>;

export function toQuery(query: QueryInput | undefined): Record<string, QueryValue> | undefined {
  if (!query) return undefined;
  const out: Record<string, QueryValue> = {};
  for (const [key, value] of Object.entries(query)) {
    out[key] = Array.isArray(value) ? value.join(',') : (value as QueryValue);
  }
  return out;
}
