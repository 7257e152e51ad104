/**
 * One batch item through the metered library, and the bound on what it may cost. Errors that
 * concern this item become an error line; errors that would hit every item (fatal) are thrown.
 */
import { isAPIError, isConnectionError, isModerationError } from '../../client/index.ts';
import { BudgetExceededError, LedgerError } from '../../ledger/index.ts';
import { type ChatRequest, isTollgateCallError, type Tollgate } from '../../library/index.ts';
import { isMeteringError } from '../../metering/index.ts';
import { type Money, moneyToUsdString } from '../../shared/money.ts';
import type { BatchItem } from './batch-input.ts';
import type { BatchRecord } from './batch-output.ts';
import type { CallOutcome } from './batch-runner.ts';

/**
 * True for failures every further call would share: the key refused (401/403 without moderation),
 * no credits (402), rate-limited past the retries (429), OpenRouter unreachable, a budget or the
 * key's balance exhausted, the ledger unusable.
 */
export function isFatal(error: unknown): boolean {
  if (isAPIError(error)) {
    if (error.status === 403) return !isModerationError(error);
    return error.status === 401 || error.status === 402 || error.status === 429;
  }
  if (isConnectionError(error)) return true;
  if (BudgetExceededError.isInstance(error)) return true;
  if (isMeteringError(error)) return error.code === 'balance_too_low';
  return LedgerError.isInstance(error);
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'error';
}

export async function runBatchCall(
  tg: Tollgate,
  item: BatchItem,
  request: ChatRequest,
  signal: AbortSignal,
): Promise<CallOutcome> {
  try {
    const result = await tg.chat({ ...request, signal });
    const record: BatchRecord = {
      id: item.id,
      text: result.text,
      model: result.model ?? null,
      provider: result.provider ?? null,
      finish_reason: result.finishReason,
      usage: result.usage ?? null,
      cost: result.cost === null ? null : moneyToUsdString(result.cost),
      generation_id: result.generationId ?? null,
      request_id: result.id,
      latency_ms: result.latencyMs,
    };
    return { record, cost: result.cost, failed: false };
  } catch (error) {
    if (signal.aborted || isFatal(error)) throw error;
    // The call happened and was recorded (filtered, failed mid-generation…): keep what it cost.
    const result = isTollgateCallError(error) ? error.result : undefined;
    const status = isAPIError(error) ? error.status : undefined;
    const message = isAPIError(error)
      ? error.rawMessage || error.message
      : error instanceof Error
        ? error.message
        : String(error);
    const record: BatchRecord = {
      id: item.id,
      error: { code: errorCode(error), message, ...(status === undefined ? {} : { status }) },
      model: result?.model ?? null,
      finish_reason: result?.finishReason ?? null,
      usage: result?.usage ?? null,
      cost:
        result?.cost === null || result?.cost === undefined
          ? result
            ? null
            : '0'
          : moneyToUsdString(result.cost),
      generation_id: result?.generationId ?? (isAPIError(error) ? (error.generationId ?? null) : null),
      request_id: result?.id ?? null,
    };
    return { record, cost: result ? result.cost : 0n, failed: true };
  }
}

/**
 * The most a call can cost, computed as the meter does (module profile, default output cap, the
 * model's prices), so --max-cost can refuse to start a call that might cross it.
 */
export async function batchWorstCase(tg: Tollgate, request: ChatRequest): Promise<Money> {
  const worstCase = await tg.worstCase(request);
  if (worstCase === undefined) {
    throw new UnknownPriceError(typeof request.model === 'string' ? request.model : '(none)');
  }
  return worstCase;
}

/** --max-cost needs a price to bound a call by; an unknown model has none. */
export class UnknownPriceError extends Error {
  constructor(model: string) {
    super(
      `--max-cost cannot bound calls to model ${model}: it is not in OpenRouter's catalogue (check the id with \`tollgate models --search …\`), or the catalogue could not be loaded.`,
    );
    this.name = 'UnknownPriceError';
  }
}
