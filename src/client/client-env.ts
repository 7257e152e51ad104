import { readFile as fsReadFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientConfigError, checkClientOptions } from './option-checks.ts';
import type { ClientOptions } from './types.ts';

export const DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';
export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 900_000;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;

export type EnvLike = Readonly<Record<string, string | undefined>>;
export type OptionSource = 'options' | 'env' | 'dotenv' | 'default' | 'none';

/** Options with every default applied; what createOpenRouterClient runs on. */
export interface ResolvedClientOptions extends ClientOptions {
  apiKey: string | undefined;
  baseUrl: string;
  timeoutMs: number;
  totalTimeoutMs: number | undefined;
  streamIdleTimeoutMs: number;
  /** Where the key and base URL came from (never the values), for start-up logs. */
  sources: { apiKey: OptionSource; baseUrl: OptionSource };
}

export { ClientConfigError };

/**
 * Options first, then the environment (OPENROUTER_API_KEY, OPENROUTER_BASE_URL), then the text
 * of a `.env` file. Pure: the environment and the file's text are parameters.
 */
export function resolveClientOptions(
  options: ClientOptions,
  env: EnvLike,
  dotenvText?: string,
): ResolvedClientOptions {
  checkClientOptions(options);
  const dotenv = dotenvText === undefined ? {} : parseDotenv(dotenvText);
  const pick = (option: string | undefined, name: string): [string | undefined, OptionSource] => {
    if (nonEmpty(option)) return [option, 'options'];
    if (nonEmpty(env[name])) return [env[name], 'env'];
    if (nonEmpty(dotenv[name])) return [dotenv[name], 'dotenv'];
    return [undefined, 'none'];
  };
  const [apiKey, apiKeySource] = pick(options.apiKey, 'OPENROUTER_API_KEY');
  const [rawBaseUrl, baseUrlSource] = pick(options.baseUrl, 'OPENROUTER_BASE_URL');
  const baseUrl = (rawBaseUrl ?? DEFAULT_BASE_URL).trim().replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new ClientConfigError(`OpenRouter base URL is not a URL: ${JSON.stringify(baseUrl.slice(0, 200))}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ClientConfigError(`OpenRouter base URL must be http(s), got ${parsed.protocol}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    ...options,
    apiKey: apiKey?.trim(),
    baseUrl,
    timeoutMs,
    totalTimeoutMs: options.totalTimeoutMs ?? Math.max(DEFAULT_TOTAL_TIMEOUT_MS, timeoutMs),
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    sources: { apiKey: apiKeySource, baseUrl: rawBaseUrl === undefined ? 'default' : baseUrlSource },
  };
}

/** Reads `.env` from `cwd` when present, then resolves. The only I/O here; every input is a parameter. */
export async function loadClientOptions(
  options: ClientOptions,
  env: EnvLike,
  io: { cwd: string; readFile?: (path: string) => Promise<string> },
): Promise<ResolvedClientOptions> {
  const read = io.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  let text: string | undefined;
  try {
    text = await read(join(io.cwd, '.env'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  return resolveClientOptions(options, env, text);
}

/** `KEY=value` lines; `export ` prefixes, quotes and `#` comments are understood, nothing is expanded. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, key = '', rest = ''] = match;
    let value = rest;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    out[key] = value;
  }
  return out;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
