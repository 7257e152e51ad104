import { describe, expect, it } from 'vitest';
import { createOpenRouterClient } from './client.ts';
import {
  ClientConfigError,
  DEFAULT_BASE_URL,
  loadClientOptions,
  parseDotenv,
  resolveClientOptions,
} from './client-env.ts';
import type { ClientOptions } from './types.ts';

describe('resolveClientOptions', () => {
  it('options win over the environment, which wins over .env', () => {
    const env = { OPENROUTER_API_KEY: 'env-key', OPENROUTER_BASE_URL: 'http://env.local/api/v1/' };
    const dotenv = 'OPENROUTER_API_KEY=dotenv-key\nOPENROUTER_BASE_URL=http://dotenv.local/api/v1';
    expect(resolveClientOptions({ apiKey: 'opt-key' }, env, dotenv)).toMatchObject({
      apiKey: 'opt-key',
      baseUrl: 'http://env.local/api/v1',
      sources: { apiKey: 'options', baseUrl: 'env' },
    });
    expect(resolveClientOptions({}, {}, dotenv)).toMatchObject({
      apiKey: 'dotenv-key',
      baseUrl: 'http://dotenv.local/api/v1',
      sources: { apiKey: 'dotenv', baseUrl: 'dotenv' },
    });
    expect(resolveClientOptions({}, { OPENROUTER_API_KEY: '  ' })).toMatchObject({
      apiKey: undefined,
      baseUrl: DEFAULT_BASE_URL,
      sources: { apiKey: 'none', baseUrl: 'default' },
    });
  });

  it('applies defaults and validates', () => {
    const resolved = resolveClientOptions({ timeoutMs: 1000 }, {});
    expect(resolved).toMatchObject({
      timeoutMs: 1000,
      totalTimeoutMs: 900_000,
      streamIdleTimeoutMs: 300_000,
    });
    expect(() => resolveClientOptions({ baseUrl: 'ftp://x' }, {})).toThrow(ClientConfigError);
    expect(() => resolveClientOptions({ baseUrl: 'not a url' }, {})).toThrow(ClientConfigError);
    expect(() => resolveClientOptions({ timeoutMs: -1 }, {})).toThrow(ClientConfigError);
  });

  it.each<[string, ClientOptions, RegExp]>([
    ['timeoutMs 0', { timeoutMs: 0 }, /^timeoutMs \(client\) must be .* got 0\. Leave it out/],
    ['totalTimeoutMs NaN', { totalTimeoutMs: Number.NaN }, /totalTimeoutMs .* got NaN/],
    [
      'streamIdleTimeoutMs Infinity',
      { streamIdleTimeoutMs: Number.POSITIVE_INFINITY },
      /streamIdleTimeoutMs .* Infinity/,
    ],
    // Node's timers fire at once past 2^31 - 1 ms: the call would time out immediately.
    ['a timeout no timer can wait', { timeoutMs: 3_000_000_000 }, /timeoutMs .* at most 2147483647/],
    ['maxRetries 1.5', { maxRetries: 1.5 }, /maxRetries \(client\) must be a whole number/],
    ['retry.maxRetries -1', { retry: { maxRetries: -1 } }, /retry\.maxRetries/],
    [
      'a non-ASCII header value',
      { headers: { 'X-OpenRouter-Title': 'café ☕' } },
      /X-OpenRouter-Title.*U\+00E9/,
    ],
    ['a header name with a space', { headers: { 'X Title': 'x' } }, /"X Title" is not a valid header name/],
    [
      'maxConcurrent 0 (every call would wait forever)',
      { limiter: { maxConcurrent: 0 } },
      /limiter\.maxConcurrent/,
    ],
    ['requestsPerMinute NaN', { limiter: { requestsPerMinute: Number.NaN } }, /limiter\.requestsPerMinute/],
    // A NaN or negative backoff would retry at once.
    [
      'retry.initialDelayMs NaN',
      { retry: { initialDelayMs: Number.NaN } },
      /retry\.initialDelayMs .* got NaN/,
    ],
    ['retry.maxDelayMs -1', { retry: { maxDelayMs: -1 } }, /retry\.maxDelayMs .* from 0/],
    ['retry.multiplier 0.5', { retry: { multiplier: 0.5 } }, /retry\.multiplier .* 1 or more/],
    [
      'retry.jitter "random"',
      { retry: { jitter: 'random' as 'full' } },
      /retry\.jitter .* full, decorrelated, none/,
    ],
    ['retry.retryStatuses ["429"]', { retry: { retryStatuses: ['429'] as never } }, /retry\.retryStatuses/],
  ])('refuses %s with a ClientConfigError that says what to pass', (_what, options, message) => {
    expect(() => resolveClientOptions(options, {})).toThrow(message);
    expect(() => createOpenRouterClient(options)).toThrow(ClientConfigError);
    // An already resolved object edited afterwards is checked again by the client.
    const resolved = { ...resolveClientOptions({}, {}), ...options };
    expect(() => createOpenRouterClient(resolved)).toThrow(message);
  });
});

describe('parseDotenv', () => {
  it('reads the usual forms', () => {
    expect(
      parseDotenv(
        '# comment\nexport A=1\nB = "two words" \nC=\'single\'\nD=plain # trailing\r\nE="line\\nbreak"\nnot a line\n',
      ),
    ).toEqual({ A: '1', B: 'two words', C: 'single', D: 'plain', E: 'line\nbreak' });
  });
});

describe('loadClientOptions', () => {
  it('reads .env from the given directory, tolerating its absence', async () => {
    const files: Record<string, string> = { '/app/.env': 'OPENROUTER_API_KEY=from-file' };
    const readFile = async (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    };
    expect((await loadClientOptions({}, {}, { cwd: '/app', readFile })).apiKey).toBe('from-file');
    expect((await loadClientOptions({}, {}, { cwd: '/elsewhere', readFile })).apiKey).toBeUndefined();
  });
});
