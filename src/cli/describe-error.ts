/**
 * What a command's failure means for the user: one line saying what is wrong and how to fix it,
 * and an exit code: 2 for usage and configuration mistakes, 1 for runtime failures, 130 when the
 * user interrupted. Loaded only when something failed (it pulls in every module's error types).
 */
import {
  isAbortError,
  isAPIError,
  isConnectionError,
  isOpenRouterError,
  isTimeoutError,
} from '../client/index.ts';
import { ConfigError } from '../config/index.ts';
import { BudgetExceededError, LedgerError } from '../ledger/index.ts';
import { isTollgateCallError } from '../library/index.ts';
import { isMeteringError } from '../metering/index.ts';
import { UsageError } from './flags.ts';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** `batch`: stopped because --max-cost would have been exceeded. */
  costCap: 3,
  interrupted: 130,
} as const;

export interface DescribedError {
  message: string;
  exitCode: number;
}

/** One line; config problems (one per line in ConfigError) are joined. */
export function describeError(error: unknown, context: { baseUrl?: string } = {}): DescribedError {
  if (error instanceof UsageError) return { message: error.message, exitCode: EXIT.usage };
  if (error instanceof ConfigError) {
    return {
      message: `invalid configuration: ${error.problems.join('; ')}. Fix the named environment variable or tollgate.config.json.`,
      exitCode: EXIT.usage,
    };
  }
  if (BudgetExceededError.isInstance(error)) {
    return {
      message: `${error.message} Raise it with \`tollgate budgets set\`, remove it with \`tollgate budgets rm\`, or wait for the window to reset.`,
      exitCode: EXIT.failure,
    };
  }
  if (LedgerError.isInstance(error)) {
    if (error.code === 'ledger_missing') {
      return {
        message: `${error.message}: check --db / TOLLGATE_DB; \`tollgate serve\` or \`chat\` creates one.`,
        exitCode: EXIT.usage,
      };
    }
    if (error.code === 'ledger_url' || error.code === 'ledger_invalid_input') {
      return { message: `${error.message} (check --db or TOLLGATE_DB)`, exitCode: EXIT.usage };
    }
    return {
      message: `ledger: ${error.message}. Check that --db / TOLLGATE_DB points to a database you can open.`,
      exitCode: EXIT.failure,
    };
  }
  if (isMeteringError(error) || isTollgateCallError(error)) {
    return { message: error.message, exitCode: EXIT.failure };
  }
  if (isAbortError(error)) return { message: 'interrupted', exitCode: EXIT.interrupted };
  if (isAPIError(error)) return { message: describeApiError(error), exitCode: EXIT.failure };
  if (isConnectionError(error)) {
    const where = context.baseUrl ? ` at ${context.baseUrl}` : '';
    return {
      message: `cannot reach OpenRouter${where}: ${error.message}. Check OPENROUTER_BASE_URL and your network.`,
      exitCode: EXIT.failure,
    };
  }
  if (isTimeoutError(error)) {
    return {
      message: `${error.message}; OpenRouter did not answer in time. Try again, or raise TOLLGATE_TIMEOUT_MS.`,
      exitCode: EXIT.failure,
    };
  }
  if (isOpenRouterError(error)) return { message: error.message, exitCode: EXIT.failure };
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    const path = typeof error === 'object' && error !== null && 'path' in error ? String(error.path) : '';
    const what = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'is a folder';
    return { message: `cannot open ${path || 'the file'}: ${what}.`, exitCode: EXIT.failure };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: EXIT.failure };
}

/**
 * What an API error means for the user. The fix depends on the route that failed: a 404 or 403
 * from key and credit administration is about the key (its hash, or needing a management key),
 * while from inference it is about the model or the key being the wrong kind.
 */
function describeApiError(error: {
  status: number;
  rawMessage: string;
  message: string;
  path?: string | undefined;
}): string {
  const said = error.rawMessage || error.message;
  const route = routeOf(error.path);
  switch (error.status) {
    case 401:
      return `OpenRouter rejected the API key (401: ${said}). Check OPENROUTER_API_KEY (keys: https://openrouter.ai/settings/keys).`;
    case 402:
      return `OpenRouter: not enough credits (402: ${said}). Add credits at https://openrouter.ai/settings/credits, raise the key's limit, or lower --max-tokens.`;
    case 403:
      return route === 'administration'
        ? `OpenRouter refused the request (403: ${said}). Key and credit administration needs a management key in OPENROUTER_API_KEY (https://openrouter.ai/settings/provisioning-keys).`
        : `OpenRouter refused the request (403: ${said}). A management key cannot make calls: put an ordinary API key in OPENROUTER_API_KEY (https://openrouter.ai/settings/keys), or check the key's limits.`;
    case 404:
      return route === 'administration'
        ? `OpenRouter: not found (404: ${said}). Check the key hash; \`tollgate openrouter-keys list\` lists them.`
        : route === 'generation'
          ? `OpenRouter: not found (404: ${said}). Check the generation id; a new one can take a few seconds to be published.`
          : `OpenRouter: not found (404: ${said}). Check the id; \`tollgate models --search …\` lists model ids.`;
    case 429:
      return `OpenRouter rate-limited the request and retries ran out (429: ${said}). Wait a moment, or lower --concurrency.`;
    default:
      return error.status >= 500
        ? `OpenRouter or the provider failed (${error.status}: ${said}). Try again shortly, or pick another model.`
        : `OpenRouter ${error.status}: ${said}`;
  }
}

/** Which family of OpenRouter routes a request path belongs to (relative to the API base). */
function routeOf(path: string | undefined): 'administration' | 'generation' | 'other' {
  const bare = (path ?? '').replace(/[?#].*$/s, '');
  if (/^\/(keys|credits|activity)(\/|$)/.test(bare)) return 'administration';
  if (/^\/generation$/.test(bare)) return 'generation';
  return 'other';
}
