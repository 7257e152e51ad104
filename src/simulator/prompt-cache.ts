import type { PrefixBoundary } from './tokenizer.ts';

/**
 * Which prompt prefixes each account has sent each model. A later prompt that starts with a
 * remembered prefix (at a message boundary) reads that many tokens from the cache; models with
 * write pricing bill the rest of a long prompt as a cache write when asked to cache.
 */
export interface PromptCache {
  observe(
    scope: string,
    boundaries: readonly PrefixBoundary[],
    writes: boolean,
  ): { cached: number; written: number };
}

export function createPromptCache(minTokens: number, maxEntries = 200_000): PromptCache {
  const seen = new Set<string>();
  return {
    observe(scope, boundaries, writes) {
      const last = boundaries.at(-1);
      if (last === undefined || last.tokens < minTokens) return { cached: 0, written: 0 };
      let cached = 0;
      for (let i = boundaries.length - 1; i >= 0; i--) {
        const b = boundaries[i];
        if (b === undefined || b.tokens < minTokens) break;
        if (seen.has(`${scope}|${b.hash}`)) {
          cached = b.tokens;
          break;
        }
      }
      if (seen.size + boundaries.length > maxEntries) seen.clear();
      for (const b of boundaries) if (b.tokens >= minTokens) seen.add(`${scope}|${b.hash}`);
      return { cached, written: writes ? last.tokens - cached : 0 };
    },
  };
}
