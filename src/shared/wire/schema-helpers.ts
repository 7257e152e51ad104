import { z } from 'zod';

/**
 * A string that OpenRouter documents as one of a few values but may extend at any time. The type
 * keeps the known values for autocompletion; parsing accepts any string so a new value never
 * breaks a response (or a forwarded request).
 */
export function openEnum<const T extends readonly string[]>(_known: T) {
  return z.custom<T[number] | (string & {})>((value) => typeof value === 'string', {
    message: 'Expected a string',
  });
}

/**
 * A USD amount as OpenRouter quotes prices: a decimal string ("0.00000075"). Numbers are accepted
 * too (some captures and docs examples use them) and normalised to their shortest decimal text,
 * so consumers only ever see strings and can hand them to exact money code.
 */
export const DecimalStringSchema = z.union([z.string(), z.number().transform((value) => String(value))]);

/** Free-form JSON object (JSON Schema, provider-specific options, metadata). */
export const JsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObjectSchema>;

/** Optional and nullable: OpenRouter omits some keys and sends `null` for others, interchangeably. */
export const nullishNumber = z.number().nullish();
export const nullishString = z.string().nullish();
export const nullishBoolean = z.boolean().nullish();

/**
 * `Omit` for loose-object types. The built-in `Omit` maps over `keyof T`, which for a type with an
 * index signature is just `string`, so every known field collapses into `unknown`; a key-remapped
 * mapped type keeps both the known fields and the index signature.
 */
export type OmitField<T, K extends PropertyKey> = { [P in keyof T as P extends K ? never : P]: T[P] };
