import type { Principal } from './auth.ts';
import { GatewayError } from './gateway-error.ts';

/** `openai/*` style patterns: `*` matches any run of characters, `/` included. */
export function modelMatches(model: string, pattern: string): boolean {
  const expression = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${expression}$`).test(model);
}

/** Refuses a call naming a model (or fallback model) outside the gateway key's allowed patterns. */
export function checkModelsAllowed(principal: Principal, body: Record<string, unknown>): void {
  if (principal.kind !== 'key' || !principal.key.allowedModels) return;
  const patterns = principal.key.allowedModels;
  const models = [body.model, ...(Array.isArray(body.models) ? body.models : [])];
  if (body.model === undefined) {
    throw new GatewayError(
      'model_not_allowed',
      `This key may only use ${patterns.join(', ')}: name the model in "model".`,
    );
  }
  for (const model of models) {
    if (typeof model !== 'string' || !patterns.some((pattern) => modelMatches(model, pattern))) {
      throw new GatewayError(
        'model_not_allowed',
        `This key may not use ${JSON.stringify(model)}; allowed: ${patterns.join(', ')}.`,
      );
    }
  }
}
