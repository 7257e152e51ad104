import type { ModuleProfile } from '../config/index.ts';

/** Profile fields that steer tollgate itself and are never sent upstream. */
const TOLLGATE_ONLY_FIELDS = new Set(['maxCostUsd', 'budget']);
/** Object fields merged key by key, so a request can set `provider.sort` and keep the profile's `order`. */
const MERGED_OBJECT_FIELDS = new Set(['provider', 'reasoning']);

export interface ProfiledRequest<TRequest> {
  request: TRequest;
  /** The per-call cost cap: the request's own, else the profile's (USD decimal text). */
  maxCostUsd: string | undefined;
  /**
   * True when tollgate added `max_tokens` because neither the request nor its profile set a cap
   * (never for a call with no generated output: `defaultMaxTokens` null).
   */
  cappedByDefault: boolean;
}

/**
 * Fills what the request leaves out from its module's profile; the request's own fields always win.
 * A call that sets no output cap itself or through its profile gets `defaultMaxTokens`, so no call
 * can run up an unbounded bill. Never removes or rewrites a field the caller sent.
 */
export function applyModuleProfile<TRequest extends object>(
  request: TRequest,
  profile: ModuleProfile | undefined,
  defaultMaxTokens: number | null,
  maxCostUsd?: string,
): ProfiledRequest<TRequest> {
  const merged: Record<string, unknown> = { ...(request as Record<string, unknown>) };
  if (profile) {
    for (const [key, value] of Object.entries(profile)) {
      if (TOLLGATE_ONLY_FIELDS.has(key) || value === undefined) continue;
      const own = merged[key];
      if (own === undefined) {
        merged[key] = value;
      } else if (MERGED_OBJECT_FIELDS.has(key) && isPlainObject(own) && isPlainObject(value)) {
        const combined = { ...value, ...own };
        if (Object.keys(combined).length !== Object.keys(own).length) {
          merged[key] = combined;
        }
      }
    }
  }
  const capped =
    defaultMaxTokens === null ||
    isPositiveNumber(merged.max_tokens) ||
    isPositiveNumber(merged.max_completion_tokens);
  if (!capped) merged.max_tokens = defaultMaxTokens;
  return {
    request: merged as TRequest,
    maxCostUsd: maxCostUsd ?? profile?.maxCostUsd,
    cappedByDefault: !capped,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveNumber(value: unknown): boolean {
  return typeof value === 'number' && value > 0;
}
