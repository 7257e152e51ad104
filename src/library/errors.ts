import type { ChatResult } from './chat-result.ts';

const LIBRARY_ERROR = Symbol.for('tollgate.library-error');

export type LibraryErrorCode = 'content_filtered' | 'generation_failed' | 'structured_output_invalid';

/** Errors of the metered library: the call happened, was recorded, and its result is attached. */
export class TollgateCallError extends Error {
  readonly code: LibraryErrorCode;
  /** The recorded call (cost, usage, ids): the ledger row exists. */
  readonly result: ChatResult;
  /** Safe to show an end user. */
  readonly userMessage: string;
  constructor(code: LibraryErrorCode, message: string, userMessage: string, result: ChatResult) {
    super(message);
    this.name = 'TollgateCallError';
    this.code = code;
    this.result = result;
    this.userMessage = userMessage;
    Object.defineProperty(this, LIBRARY_ERROR, { value: true, enumerable: false });
  }
}

/** finish_reason `content_filter`: the provider's filter stopped the output. */
export class FilteredError extends TollgateCallError {
  constructor(result: ChatResult) {
    super(
      'content_filtered',
      `The output of ${result.model ?? 'the model'} was stopped by a content filter (native reason: ${result.nativeFinishReason ?? 'none'}). ` +
        'Pass acceptFinishReasons: ["content_filter"] to receive such results instead.',
      'The response was blocked by a content filter.',
      result,
    );
    this.name = 'FilteredError';
  }
}

/** finish_reason `error`: the provider failed while generating. */
export class GenerationError extends TollgateCallError {
  constructor(result: ChatResult) {
    super(
      'generation_failed',
      `The model ${result.model ?? ''} failed while generating (native reason: ${result.nativeFinishReason ?? 'none'}). ` +
        'Retry, or pass acceptFinishReasons: ["error"] to receive partial output instead.',
      'The AI model failed to produce a complete answer. Please try again.',
      result,
    );
    this.name = 'GenerationError';
  }
}

/** `json()`: the model's output was not valid JSON or did not match the schema. */
export class StructuredOutputError extends TollgateCallError {
  /** The text the model returned. */
  readonly rawText: string;
  /** What was wrong: a JSON syntax error or the schema's issues. */
  readonly problems: readonly string[];
  constructor(result: ChatResult, problems: readonly string[]) {
    super(
      'structured_output_invalid',
      `The model's output does not match the schema: ${problems.slice(0, 5).join('; ')}. ` +
        'Pass repair: true to ask the model once to fix it.',
      'The AI model returned data in an unexpected shape.',
      result,
    );
    this.name = 'StructuredOutputError';
    this.rawText = result.text;
    this.problems = problems;
  }
}

export function isTollgateCallError(value: unknown): value is TollgateCallError {
  return typeof value === 'object' && value !== null && LIBRARY_ERROR in value;
}
