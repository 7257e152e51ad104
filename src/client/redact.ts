/** Anything shaped like an OpenRouter key, even one this client was not given. */
const OPENROUTER_KEY_PATTERN = /sk-or-[A-Za-z0-9-]{8,}/g;
const REDACTED = '[REDACTED]';

/** Removes the given secrets and anything that looks like an OpenRouter key from a text. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "secrets" would shred ordinary text; real keys are long.
    if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  }
  return out.replace(OPENROUTER_KEY_PATTERN, REDACTED);
}

/** Deep copy of a JSON-like value with every string redacted. */
export function redactDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, secrets, depth + 1);
  return out;
}

/** A short, redacted, single-line excerpt of a body for error messages. */
export function bodyExcerpt(text: string, secrets: readonly string[], max = 200): string {
  const flat = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
