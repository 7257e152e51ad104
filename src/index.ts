/**
 * tollgate: metered, attributed, budgeted access to OpenRouter.
 *
 * ```ts
 * const tg = await Tollgate.open();
 * const r = await tg.chat({ module: 'summarize', user: 'u-42', model, messages });
 * r.text; r.costUsd; r.cost; r.generationId;
 * ```
 */
export * from './client/index.ts';
export { BudgetExceededError, type Ledger, type LedgerRow, openLedger } from './ledger/index.ts';
export {
  type ChatRequest,
  type ChatResult,
  FilteredError,
  GenerationError,
  isTollgateCallError,
  type JsonRequest,
  type JsonResult,
  type StreamPart,
  StructuredOutputError,
  Tollgate,
  TollgateCallError,
  type TollgateOptions,
  TollgateStream,
  type ToolCall,
} from './library/index.ts';
export {
  BalanceTooLowError,
  CostCapExceededError,
  FallbackOverCapError,
  isMeteringError,
  MeteringError,
  UnpricedCapError,
} from './metering/index.ts';
export { type Money, moneyFromUsd, moneyToNumber, moneyToUsdString } from './shared/money.ts';
export type * from './shared/wire/index.ts';
