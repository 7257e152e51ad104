/** The simulator's fault names, what each does, and whether a client may retry it. */

export type FaultKind = 'status' | 'transport' | 'stream' | 'finish' | 'routing' | 'latency';

export interface FaultInfo {
  description: string;
  kind: FaultKind;
  /** HTTP status of the failed response, when the fault produces one. */
  status: number | null;
  /** A client may retry: the failure is transient and nothing was billed. */
  retryable: boolean;
  /** Whether the call is billed (`partial`: what was produced, by §12.4 rules). */
  billed: 'no' | 'yes' | 'partial';
}

export const FAULT_INFO = {
  '400': {
    description: 'Bad request (invalid_request) before any output',
    kind: 'status',
    status: 400,
    retryable: false,
    billed: 'no',
  },
  '401': {
    description: 'Authentication failed (authentication)',
    kind: 'status',
    status: 401,
    retryable: false,
    billed: 'no',
  },
  '402': {
    description: 'Insufficient credits (payment_required, limit_source openrouter_credits)',
    kind: 'status',
    status: 402,
    retryable: false,
    billed: 'no',
  },
  '403': {
    description: 'Input flagged by moderation (reasons, flagged_input, provider_name, model_slug)',
    kind: 'status',
    status: 403,
    retryable: false,
    billed: 'no',
  },
  '404': {
    description: 'No endpoints found for the model (not_found)',
    kind: 'status',
    status: 404,
    retryable: false,
    billed: 'no',
  },
  '408': {
    description: 'Request timed out upstream (timeout)',
    kind: 'status',
    status: 408,
    retryable: true,
    billed: 'no',
  },
  '413': {
    description: 'Payload too large (payload_too_large)',
    kind: 'status',
    status: 413,
    retryable: false,
    billed: 'no',
  },
  '429': {
    description: 'Rate limited, with Retry-After and X-RateLimit-* headers',
    kind: 'status',
    status: 429,
    retryable: true,
    billed: 'no',
  },
  '500': {
    description: 'Internal server error (server)',
    kind: 'status',
    status: 500,
    retryable: true,
    billed: 'no',
  },
  '502': {
    description: 'Provider unavailable (provider_unavailable, provider_name, raw)',
    kind: 'status',
    status: 502,
    retryable: true,
    billed: 'no',
  },
  '503': {
    description: 'Provider overloaded, with Retry-After (provider_overloaded)',
    kind: 'status',
    status: 503,
    retryable: true,
    billed: 'no',
  },
  reset: {
    description: 'Destroys the connection before any response byte',
    kind: 'transport',
    status: null,
    retryable: true,
    billed: 'no',
  },
  stall: {
    description: 'Sends nothing until stallMs (or ms=) passes, then drops the connection',
    kind: 'transport',
    status: null,
    retryable: true,
    billed: 'no',
  },
  'mid-stream-error': {
    description: 'Some output, then an in-band error (finish_reason error); not billed (§12.4)',
    kind: 'stream',
    status: 200,
    retryable: true,
    billed: 'no',
  },
  'truncated-stream': {
    description: 'Output ends early: stream without usage or [DONE], or a JSON body cut mid-way',
    kind: 'stream',
    status: 200,
    retryable: true,
    billed: 'no',
  },
  'invalid-json': {
    description: 'HTTP 200 whose body is not JSON',
    kind: 'transport',
    status: 200,
    retryable: true,
    billed: 'no',
  },
  'content-filter': {
    description: 'Output stopped by a content filter (finish_reason content_filter); billed',
    kind: 'finish',
    status: 200,
    retryable: false,
    billed: 'partial',
  },
  length: {
    description: 'Output truncated (finish_reason length); billed',
    kind: 'finish',
    status: 200,
    retryable: false,
    billed: 'partial',
  },
  'finish-error': {
    description: 'finish_reason error with native MALFORMED_FUNCTION_CALL, no error object; not billed',
    kind: 'finish',
    status: 200,
    retryable: true,
    billed: 'no',
  },
  'provider-fallback': {
    description: 'First provider answers 429, a second one serves (see provider_responses)',
    kind: 'routing',
    status: 200,
    retryable: false,
    billed: 'yes',
  },
  'slow-first-token': {
    description: 'First token after a long pause (default 3000 ms, or ms=)',
    kind: 'latency',
    status: 200,
    retryable: false,
    billed: 'yes',
  },
  'slow-stream': {
    description: 'Slow output: a pause between chunks (default 250 ms, or ms=)',
    kind: 'latency',
    status: 200,
    retryable: false,
    billed: 'yes',
  },
} as const satisfies Record<string, FaultInfo>;

export type FaultName = keyof typeof FAULT_INFO;

export const SIMULATOR_FAULTS: readonly FaultName[] = Object.keys(FAULT_INFO).filter(isFaultName);

/** Faults `faultRate` draws from by default: realistic transient failures, none that hang. */
export const DEFAULT_RANDOM_FAULTS: readonly FaultName[] = [
  '429',
  '500',
  '502',
  '503',
  'reset',
  'mid-stream-error',
  'truncated-stream',
  'provider-fallback',
  'finish-error',
];

export function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(FAULT_INFO, name);
}
