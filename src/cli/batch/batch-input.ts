/**
 * The batch input: one request per line. Every line is checked before anything is sent, so a typo
 * on line 9,000 costs nothing; each problem names the file and line.
 *
 * A line is a prompt (`"text"` or `{"prompt": "text", …}`) or a full request (`{"messages": […], …}`).
 * `id` is optional (else the line number) and must be unique; `module` attributes the line. Other
 * fields (model, temperature, max_tokens, user, tags…) go into the request as they are.
 */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ChatRequest } from '../../library/index.ts';
import { isJsonObject } from '../../shared/json-object.ts';
import { attributionProblem } from '../attribution-flags.ts';
import { UsageError } from '../flags.ts';

export type BatchId = string | number;

export interface BatchItem {
  id: BatchId;
  /** The id as JSON text: how an output line is matched to its input line. */
  key: string;
  line: number;
  /** The request without defaults from the flags (see `withDefaults`). */
  request: Partial<ChatRequest> & Pick<ChatRequest, 'messages'>;
  /** True when the line was a prompt (so --system applies to it). */
  fromPrompt: boolean;
}

export function idKey(id: BatchId): string {
  return JSON.stringify(id);
}

const SHAPE = 'each line must be a JSON string (the prompt), {"prompt": "…"} or {"messages": [...]}';

export function parseBatchLine(text: string, line: number, where: string): BatchItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${where}:${line}: not valid JSON (${error instanceof Error ? error.message : String(error)}); ${SHAPE}.`,
    );
  }
  if (typeof value === 'string') {
    if (value.trim() === '') throw new UsageError(`${where}:${line}: the prompt is empty.`);
    return {
      id: line,
      key: idKey(line),
      line,
      request: { messages: [{ role: 'user', content: value }] },
      fromPrompt: true,
    };
  }
  if (!isJsonObject(value)) throw new UsageError(`${where}:${line}: ${SHAPE}.`);
  const { id: rawId, prompt, ...rest } = value;
  let id: BatchId = line;
  if (rawId !== undefined) {
    if (typeof rawId === 'string' ? rawId === '' : typeof rawId !== 'number' || !Number.isFinite(rawId)) {
      throw new UsageError(`${where}:${line}: "id" must be a non-empty string or a number.`);
    }
    id = rawId as BatchId;
  }
  if (rest.module !== undefined && (typeof rest.module !== 'string' || rest.module.trim() === '')) {
    throw new UsageError(`${where}:${line}: "module" must be a non-empty string.`);
  }
  for (const field of ['module', 'user'] as const) {
    const value = rest[field];
    const problem = typeof value === 'string' ? attributionProblem(value) : undefined;
    if (problem) throw new UsageError(`${where}:${line}: "${field}" ${problem}.`);
  }
  if (prompt !== undefined) {
    if (typeof prompt !== 'string' || prompt.trim() === '') {
      throw new UsageError(`${where}:${line}: "prompt" must be a non-empty string.`);
    }
    if (rest.messages !== undefined)
      throw new UsageError(`${where}:${line}: give "prompt" or "messages", not both.`);
    const messages: ChatRequest['messages'] = [];
    if (typeof rest.system === 'string') messages.push({ role: 'system', content: rest.system });
    delete rest.system;
    messages.push({ role: 'user', content: prompt });
    return {
      id,
      key: idKey(id),
      line,
      request: { ...rest, messages } as BatchItem['request'],
      fromPrompt: true,
    };
  }
  if (!Array.isArray(rest.messages) || rest.messages.length === 0 || !rest.messages.every(isJsonObject)) {
    throw new UsageError(
      `${where}:${line}: "messages" must be a non-empty array of message objects; ${SHAPE}.`,
    );
  }
  return { id, key: idKey(id), line, request: rest as BatchItem['request'], fromPrompt: false };
}

/** Reads and checks every line (blank lines are skipped); ids must be unique. */
export async function readBatchInput(path: string): Promise<BatchItem[]> {
  const where = path === '-' ? 'stdin' : path;
  let input: Readable;
  try {
    // Opened first so a missing file is a clear error here, not a stream error mid-iteration.
    if (path === '-') input = process.stdin;
    else {
      const file = await open(path, 'r');
      // A folder opens fine on Linux and only fails on the first read, far from its name.
      if ((await file.stat()).isDirectory()) {
        await file.close();
        throw new UsageError(`cannot read ${where}: it is a folder. Give the path of a JSONL file.`);
      }
      input = file.createReadStream({ encoding: 'utf8' });
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = isJsonObject(error) ? String(error.code) : '';
    throw new UsageError(
      `cannot read ${where}: ${code === 'ENOENT' ? 'no such file' : code || String(error)}.`,
    );
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const items: BatchItem[] = [];
  const seen = new Map<string, number>();
  let number = 0;
  try {
    for await (const raw of lines) {
      number += 1;
      // Editors on Windows often start a UTF-8 file with a byte order mark; it is not part of line 1.
      const text = number === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      const item = parseBatchLine(text, number, where);
      const earlier = seen.get(item.key);
      if (earlier !== undefined) {
        throw new UsageError(
          `${where}:${number}: id ${item.key} is also on line ${earlier}; ids must be unique.`,
        );
      }
      seen.set(item.key, number);
      items.push(item);
    }
  } finally {
    lines.close();
    if (input !== process.stdin) input.destroy();
  }
  return items;
}

export interface BatchDefaults {
  model?: string | undefined;
  module: string;
  system?: string | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
}

/** The request to send: the line's own fields win over the flags. */
export function withDefaults(item: BatchItem, defaults: BatchDefaults): ChatRequest {
  const request: Record<string, unknown> = { ...item.request };
  if (request.model === undefined && defaults.model !== undefined) request.model = defaults.model;
  if (request.module === undefined) request.module = defaults.module;
  if (request.temperature === undefined && defaults.temperature !== undefined) {
    request.temperature = defaults.temperature;
  }
  if (request.max_tokens === undefined && request.max_completion_tokens === undefined && defaults.maxTokens) {
    request.max_tokens = defaults.maxTokens;
  }
  const messages = item.request.messages;
  if (item.fromPrompt && defaults.system !== undefined && messages[0]?.role !== 'system') {
    request.messages = [{ role: 'system', content: defaults.system }, ...messages];
  }
  return request as ChatRequest;
}
