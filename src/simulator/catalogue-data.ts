import { FRONTIER_MODELS } from './catalogue-frontier.ts';
import { OPEN_MODELS } from './catalogue-open.ts';
import type { ModelSpec } from './catalogue-types.ts';

/**
 * The simulated catalogue: realistic ids, prices (USD per token, decimal strings), context sizes
 * and capabilities, close to what OpenRouter listed in 2025–2026. It covers every pricing feature
 * the cost code must handle: cache read/write, a context-tier override, a discount, a per-request
 * fee, image inputs, a separate internal_reasoning price, a free variant and an embeddings model.
 */
export const MODEL_SPECS: readonly ModelSpec[] = [...FRONTIER_MODELS, ...OPEN_MODELS];
