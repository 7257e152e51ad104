/**
 * `--schema file.json`: a JSON Schema file sent as a strict `json_schema` response format, and the
 * answer checked against it. The file is sent as written (not round-tripped through zod), so what
 * the user wrote is what the model sees; zod only validates the answer.
 */
import { readFile } from 'node:fs/promises';
import { type ZodType, z } from 'zod';
import { isJsonObject } from '../shared/json-object.ts';
import { UsageError } from './flags.ts';

export interface SchemaFile {
  /** The `response_format` to send. */
  responseFormat: {
    type: 'json_schema';
    json_schema: { name: string; strict: boolean; schema: Record<string, unknown> };
  };
  /** undefined when zod cannot express the schema: the answer is then only checked to be JSON. */
  validator: ZodType | undefined;
}

export async function readSchemaFile(path: string): Promise<SchemaFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = isJsonObject(error) ? String(error.code) : '';
    throw new UsageError(
      `--schema: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code || String(error)}). Example: --schema invoice.schema.json`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--schema: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (!isJsonObject(parsed)) {
    throw new UsageError(`--schema: ${path} must hold a JSON Schema object such as {"type": "object", …}.`);
  }
  // Also accept OpenAI's wrapper: {"name": …, "strict": …, "schema": {…}}.
  const wrapped = isJsonObject(parsed.schema) && typeof parsed.name === 'string';
  const schema = wrapped ? (parsed.schema as Record<string, unknown>) : parsed;
  const rawName = wrapped
    ? String(parsed.name)
    : typeof schema.title === 'string'
      ? schema.title
      : 'response';
  const name = rawName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'response';
  const strict = wrapped && typeof parsed.strict === 'boolean' ? parsed.strict : true;
  let validator: ZodType | undefined;
  try {
    validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    validator = undefined;
  }
  return { responseFormat: { type: 'json_schema', json_schema: { name, strict, schema } }, validator };
}

export type SchemaCheck = { ok: true; data: unknown } | { ok: false; problems: string[] };

/** Parses the answer (a Markdown fence around it is tolerated) and validates it. */
export function checkAnswer(file: SchemaFile, text: string): SchemaCheck {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  let value: unknown;
  try {
    value = JSON.parse(fenced?.[1] ?? text);
  } catch (error) {
    return {
      ok: false,
      problems: [`not valid JSON (${error instanceof Error ? error.message : String(error)})`],
    };
  }
  if (!file.validator) return { ok: true, data: value };
  const result = file.validator.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  };
}
