/**
 * Zod schemas of OpenRouter payloads and their inferred types. Objects are loose: unknown fields
 * pass through, so a new OpenRouter field never breaks parsing and is never dropped.
 */
export * from './account.ts';
export * from './auth.ts';
export * from './chat-chunk.ts';
export * from './chat-messages.ts';
export * from './chat-request.ts';
export * from './chat-response.ts';
export * from './completions.ts';
export * from './embeddings.ts';
export * from './error-envelope.ts';
export * from './generation.ts';
export * from './models.ts';
export * from './pricing.ts';
export * from './provider-preferences.ts';
export {
  DecimalStringSchema,
  type JsonObject,
  JsonObjectSchema,
  type OmitField,
  openEnum,
} from './schema-helpers.ts';
export * from './usage.ts';
