import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDotenv } from './dotenv.ts';
import { type TollgateConfig, tollgateConfigSchema } from './schema.ts';

/** Where one setting came from, so an error can say which thing to fix. */
type Source = 'flag' | 'environment' | 'config file' | 'default';

/** Environment variables tollgate reads, and the config path each one sets. */
const ENV_SETTINGS: ReadonlyArray<{
  name: string;
  path: readonly string[];
  kind: 'string' | 'int' | 'list';
}> = [
  { name: 'OPENROUTER_API_KEY', path: ['openrouter', 'apiKey'], kind: 'string' },
  { name: 'OPENROUTER_BASE_URL', path: ['openrouter', 'baseUrl'], kind: 'string' },
  { name: 'TOLLGATE_TIMEOUT_MS', path: ['openrouter', 'timeoutMs'], kind: 'int' },
  { name: 'TOLLGATE_MAX_RETRIES', path: ['openrouter', 'maxRetries'], kind: 'int' },
  { name: 'TOLLGATE_DB', path: ['db', 'url'], kind: 'string' },
  { name: 'TOLLGATE_SQLITE_SYNC', path: ['db', 'sqliteSync'], kind: 'string' },
  { name: 'TOLLGATE_HOST', path: ['gateway', 'host'], kind: 'string' },
  { name: 'TOLLGATE_PORT', path: ['gateway', 'port'], kind: 'int' },
  { name: 'TOLLGATE_ADMIN_KEY', path: ['gateway', 'adminKey'], kind: 'string' },
  { name: 'TOLLGATE_CORS_ORIGINS', path: ['gateway', 'corsOrigins'], kind: 'list' },
  { name: 'TOLLGATE_LOG_LEVEL', path: ['gateway', 'logLevel'], kind: 'string' },
  { name: 'TOLLGATE_DEFAULT_MAX_TOKENS', path: ['defaultMaxTokens'], kind: 'int' },
];

export const CONFIG_FILE_NAME = 'tollgate.config.json';

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A partial config, shaped like the file: what flags and options may set. */
export type ConfigOverrides = { [section: string]: unknown };

export interface LoadConfigInput {
  /** Highest precedence: command-line flags or library options. */
  overrides?: ConfigOverrides;
  /** The environment (usually `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Folder holding `tollgate.config.json` and `.env`; default: the current directory. */
  cwd?: string;
  /** Reads a file's text or returns undefined when it does not exist (injectable for tests). */
  readText?: (path: string) => string | undefined;
}

/**
 * Resolves the configuration once: flags/options > environment > `.env` > tollgate.config.json >
 * defaults. The result is frozen; every problem is reported at once, naming where it came from.
 */
export function loadConfig(input: LoadConfigInput = {}): Readonly<TollgateConfig> {
  const cwd = input.cwd ?? process.cwd();
  const readText = input.readText ?? readTextIfPresent;
  const problems: string[] = [];
  const sources = new Map<string, Source>();

  // A file named by TOLLGATE_CONFIG must be there; the default one is optional.
  const named = input.env?.TOLLGATE_CONFIG?.trim() || undefined;
  const configPath = named ?? join(cwd, CONFIG_FILE_NAME);
  const configLabel = named ? `TOLLGATE_CONFIG=${configPath} (environment)` : configPath;
  const readProblems = problems.length;
  const configText = readConfigText(readText, configPath, configLabel, problems);
  if (named && configText === undefined && problems.length === readProblems) {
    problems.push(`${configLabel}: no such file (fix the path, or unset TOLLGATE_CONFIG)`);
  }
  const fileValues = parseConfigFile(configPath, configText, problems);
  const dotenvPath = join(cwd, '.env');
  const dotenvText = readConfigText(readText, dotenvPath, dotenvPath, problems);
  const env = { ...(dotenvText ? parseDotenv(dotenvText) : {}), ...stripUndefined(input.env ?? {}) };

  const merged: Record<string, unknown> = {};
  deepMerge(merged, fileValues, 'config file', sources, []);
  deepMerge(merged, envValues(env, problems), 'environment', sources, []);
  deepMerge(merged, input.overrides ?? {}, 'flag', sources, []);

  const parsed = tollgateConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // An unknown key is reported at its own path (zod gives the object holding it), so its
      // source and name can be said: an empty path and "default" would point nowhere.
      const located =
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({
              path: [...issue.path, key].join('.'),
              message: `unknown setting ${JSON.stringify(key)}: remove it or fix its spelling`,
            }))
          : [{ path: issue.path.join('.'), message: issue.message }];
      for (const { path, message } of located) {
        problems.push(`${describeSource(path, sources.get(path) ?? 'default', configPath)}: ${message}`);
      }
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return deepFreeze(parsed.data);
}

/** Where a setting came from, as the user would look for it: the variable, the file, the flag. */
function describeSource(path: string, source: Source, configPath: string): string {
  const envName = ENV_SETTINGS.find((setting) => setting.path.join('.') === path)?.name;
  if (source === 'environment' && envName) return `${envName} (environment)`;
  if (source === 'config file') return `${path} (config file ${configPath})`;
  return `${path} (${source})`;
}

/** A file's text, undefined when absent; a file that is there but unreadable is a problem named by `label`. */
function readConfigText(
  readText: (path: string) => string | undefined,
  path: string,
  label: string,
  problems: string[],
): string | undefined {
  try {
    return readText(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    const why =
      code === 'EISDIR'
        ? 'is a folder, not a file'
        : code === 'EACCES'
          ? 'permission denied'
          : error instanceof Error
            ? error.message
            : String(error);
    problems.push(`${label}: cannot read it (${why})`);
    return undefined;
  }
}

function readTextIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseConfigFile(
  path: string,
  text: string | undefined,
  problems: string[],
): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    problems.push(`${path}: must hold a JSON object such as {"modules": {}}`);
  } catch (error) {
    problems.push(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return {};
}

function envValues(env: Record<string, string>, problems: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.name];
    if (raw === undefined || raw.trim() === '') continue;
    let value: unknown = raw.trim();
    if (setting.kind === 'int') {
      if (!/^\d+$/.test(raw.trim())) {
        problems.push(`${setting.name} (environment): expected a whole number, got ${JSON.stringify(raw)}`);
        continue;
      }
      value = Number(raw.trim());
    } else if (setting.kind === 'list') {
      value = raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    }
    setPath(values, setting.path, value);
  }
  return values;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

function deepMerge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  origin: Source,
  sources: Map<string, Source>,
  path: string[],
): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const here = [...path, key];
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      deepMerge(existing, value, origin, sources, here);
    } else {
      target[key] = isPlainObject(value) ? structuredClone(value) : value;
      markSources(value, origin, sources, here);
    }
  }
}

function markSources(value: unknown, origin: Source, sources: Map<string, Source>, path: string[]): void {
  sources.set(path.join('.'), origin);
  if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) markSources(child, origin, sources, [...path, key]);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripUndefined(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
