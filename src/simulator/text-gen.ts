import type { Rng } from './rng.ts';
import { CHARS_PER_TOKEN } from './tokenizer.ts';

/** Plausible-looking filler text, chosen word by word from a seeded generator. */

const WORDS: readonly string[] = (
  'the model answer simple request token result value system data clear useful quick example detail summary point step reason option first second next then because which while also more less ' +
  'good small large this that with from into about over context question input output method approach case idea plan note check build read write count measure cost price route stream'
).split(' ');

const REASONING_OPENERS = [
  'Let me think about this.',
  'First, consider what is being asked.',
  'The question needs a short plan.',
  'I should check the details first.',
] as const;

/** Sentences totalling at least `targetTokens` tokens (one sentence minimum). */
export function generateText(rng: Rng, targetTokens: number): string {
  const targetChars = Math.max(1, targetTokens) * CHARS_PER_TOKEN;
  let text = '';
  while (text.length < targetChars) {
    const sentence = sentenceOf(rng, rng.int(5, 12));
    text = text === '' ? sentence : `${text} ${sentence}`;
  }
  return text;
}

/** Reasoning-flavoured text of roughly `targetTokens` tokens. */
export function generateReasoning(rng: Rng, targetTokens: number): string {
  const opener = rng.pick(REASONING_OPENERS);
  const rest = targetTokens * CHARS_PER_TOKEN > opener.length ? generateText(rng, targetTokens) : '';
  const text = rest === '' ? opener : `${opener} ${rest}`;
  return text.slice(0, Math.max(1, targetTokens) * CHARS_PER_TOKEN);
}

/** A few words, for string values inside generated JSON. */
export function generatePhrase(rng: Rng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(rng.pick(WORDS));
  return out.join(' ');
}

/** The longest prefix of `text` that fits in `tokens` tokens. */
export function truncateToTokens(text: string, tokens: number): string {
  return text.slice(0, Math.max(0, tokens) * CHARS_PER_TOKEN);
}

function sentenceOf(rng: Rng, words: number): string {
  const phrase = generatePhrase(rng, words);
  return `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}.`;
}
