/** The metered library facade: `Tollgate.open()` and what its calls return. */
export type { Balance } from './balance-watcher.ts';
export { scheduleBodyPurge } from './body-retention.ts';
export type { ChatResult, ToolCall } from './chat-result.ts';
export {
  FilteredError,
  GenerationError,
  isTollgateCallError,
  type LibraryErrorCode,
  StructuredOutputError,
  TollgateCallError,
} from './errors.ts';
export type { JsonRequest, JsonResult } from './structured-output.ts';
export { type BillComparison, type ChatRequest, Tollgate, type TollgateOptions } from './tollgate.ts';
export { type StreamPart, TollgateStream } from './tollgate-stream.ts';
export { generationFetcher, syncModuleBudgets } from './wiring.ts';
