import { type ZodType, z } from 'zod';
import type { OmitField } from '../shared/wire/index.ts';
import type { ChatResult } from './chat-result.ts';
import { StructuredOutputError } from './errors.ts';

/** A chat request whose answer must be JSON matching `schema` (a zod schema). */
export type JsonRequest<T, TRequest> = OmitField<TRequest, 'response_format'> & {
  schema: ZodType<T>;
  /** The json_schema's name (letters, digits, _ and -); default `response`. */
  schemaName?: string;
  /** On invalid output, ask the model once to correct it (a second metered call). Default false. */
  repair?: boolean;
};

export interface JsonResult<T> extends ChatResult {
  /** The answer, parsed and validated: typed by the schema. */
  data: T;
  /** True when the first answer was invalid and the repair attempt succeeded. */
  repaired: boolean;
}

/**
 * Sends the zod schema as a strict `json_schema` response format, then parses and validates the
 * answer. Invalid JSON or a schema mismatch is a StructuredOutputError holding the raw text; with
 * `repair`, the invalid answer and what was wrong go back to the model once.
 */
export async function runStructured<T, TRequest extends object>(
  input: JsonRequest<T, TRequest>,
  chat: (request: TRequest) => Promise<ChatResult>,
): Promise<JsonResult<T>> {
  const { schema, schemaName, repair, ...rest } = input;
  const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  const request = {
    ...rest,
    response_format: {
      type: 'json_schema',
      json_schema: { name: schemaName ?? 'response', strict: true, schema: jsonSchema },
    },
  } as unknown as TRequest;

  const first = await chat(request);
  const parsed = parseAgainst(schema, first.text);
  if (parsed.ok) return { ...first, data: parsed.data, repaired: false };
  if (!repair) throw new StructuredOutputError(first, parsed.problems);

  const retry = await chat({
    ...request,
    messages: [
      ...messagesOf(request),
      { role: 'assistant', content: first.text },
      {
        role: 'user',
        content:
          `That answer is invalid: ${parsed.problems.join('; ')}. ` +
          'Reply with the corrected JSON only, matching the schema exactly.',
      },
    ],
  });
  const second = parseAgainst(schema, retry.text);
  if (second.ok) return { ...retry, data: second.data, repaired: true };
  throw new StructuredOutputError(retry, second.problems);
}

type Parsed<T> = { ok: true; data: T } | { ok: false; problems: string[] };

export function parseAgainst<T>(schema: ZodType<T>, text: string): Parsed<T> {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch (error) {
    return {
      ok: false,
      problems: [`not valid JSON (${error instanceof Error ? error.message : String(error)})`],
    };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  };
}

/** Some models wrap JSON in a Markdown code fence even in JSON mode. */
function stripFence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return match?.[1] ?? text;
}

function messagesOf(request: object): unknown[] {
  const messages = (request as { messages?: unknown }).messages;
  return Array.isArray(messages) ? messages : [];
}
