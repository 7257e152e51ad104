import type { z } from 'zod';
import type { Clock } from '../shared/clock.ts';
import { AbortError, ConnectionError, InvalidResponseError, TimeoutError } from './client-errors.ts';
import { isOpenRouterError } from './error-guards.ts';
import { APIError, errorFromResponse, type OpenRouterError, PaymentRequiredError } from './errors.ts';
import { normalizeHeaders, type ResponseHeaders } from './headers.ts';
import type { Limiter, Release } from './limiter.ts';
import { linkedAbort } from './linked-abort.ts';
import { ClientConfigError, checkRequestOptions } from './option-checks.ts';
import { bodyExcerpt } from './redact.ts';
import { isErrorOnlyBody, parseJson, parseOrText, readBody } from './response-body.ts';
import { decideRetry, type RetryFailure, type RetryPolicy } from './retry-policy.ts';
import { startTimer } from './timers.ts';
import { type HttpMethod, type OpenRouterTransport, type QueryValue, transportError } from './transport.ts';
import type { ApiResult, AttemptInfo, RequestOptions } from './types.ts';

/** Everything a call needs, assembled once by createOpenRouterClient. */
export interface CallContext {
  transport: OpenRouterTransport;
  clock: Clock;
  policy: RetryPolicy;
  timeoutMs: number;
  totalTimeoutMs: number | undefined;
  streamIdleTimeoutMs: number;
  limiter: Limiter | undefined;
  onAttempt: ((info: AttemptInfo) => void) | undefined;
  random: () => number;
  secrets: readonly string[];
}

export interface CallSpec {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** Serialized as JSON. */
  body?: unknown;
}

export interface AttemptSuccess<T> {
  value: T;
  status: number;
  headers: ResponseHeaders;
}

export interface RunResult<T> extends AttemptSuccess<T> {
  attempts: number;
  /** See ResponseMeta.earlierAttemptsMayHaveBilled. */
  earlierAttemptsMayHaveBilled: boolean;
  startedAtMs: number;
  /** The limiter slot; JSON calls have already released it, streams release it when they end. */
  release: Release;
  /** Aborts the successful attempt's connection (streams use it to close the upstream). */
  abortAttempt: (reason: unknown) => void;
}

/** A JSON endpoint: retries, status mapping, lenient JSON, zod validation, response metadata. */
export async function callJson<TBody, TData = TBody>(
  ctx: CallContext,
  spec: CallSpec,
  schema: z.ZodType<TBody>,
  pick: (body: TBody) => TData,
  options: RequestOptions = {},
): Promise<ApiResult<TBody, TData>> {
  // Serialized once: retries resend the same bytes.
  const outgoing = buildRequest(spec, options);
  const result = await runWithRetries(ctx, spec, options, false, async (signal, attemptNo) => {
    const response = await ctx.transport.send({ ...outgoing, signal });
    const headers = normalizeHeaders(response.headers);
    const text = await readBody(response.body, response.statusCode, headers, signal, ctx.secrets);
    const context = {
      method: spec.method,
      path: spec.path,
      attempts: attemptNo,
      secrets: ctx.secrets,
      nowMs: ctx.clock.now(),
    };
    if (response.statusCode >= 400)
      throw errorFromResponse(response.statusCode, parseOrText(text), headers, context);
    const json = parseJson(text, response.statusCode, ctx.secrets);
    if (isErrorOnlyBody(json)) throw errorFromResponse(response.statusCode, json, headers, context);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidResponseError(
        `Response of ${spec.method} ${spec.path} does not match its schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
        { status: response.statusCode, reason: 'schema', excerpt: bodyExcerpt(text, ctx.secrets) },
      );
    }
    return { value: parsed.data, status: response.statusCode, headers };
  });
  return {
    body: result.value,
    data: pick(result.value),
    status: result.status,
    headers: result.headers,
    requestId: result.headers['x-request-id'],
    generationId: generationIdOf(result.headers, result.value),
    attempts: result.attempts,
    earlierAttemptsMayHaveBilled: result.earlierAttemptsMayHaveBilled,
    latencyMs: ctx.clock.now() - result.startedAtMs,
  };
}

/** The transport request for a call: JSON body, content type, per-call headers. */
export function buildRequest(spec: CallSpec, options: RequestOptions) {
  const hasBody = spec.body !== undefined;
  return {
    method: spec.method,
    path: spec.path,
    query: spec.query,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: hasBody ? jsonBody(spec) : undefined,
  };
}

/** The body as JSON; a value JSON cannot carry (a BigInt, a cycle) is refused before anything is sent. */
function jsonBody(spec: CallSpec): string {
  try {
    return JSON.stringify(spec.body);
  } catch (error) {
    // V8 draws a cycle's path over several lines: its first says what went wrong.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ClientConfigError(
      `The body of ${spec.method} ${spec.path} cannot be sent as JSON (${reason}): send plain data, with numbers instead of BigInts and no circular references.`,
    );
  }
}

export async function runWithRetries<T>(
  ctx: CallContext,
  spec: CallSpec,
  options: RequestOptions,
  keepSlot: boolean,
  attemptFn: (signal: AbortSignal, attempt: number) => Promise<AttemptSuccess<T>>,
): Promise<RunResult<T>> {
  // Before any timer or limiter slot exists: a refused call leaves nothing behind.
  checkRequestOptions(options);
  const policy =
    options.maxRetries === undefined ? ctx.policy : { ...ctx.policy, maxRetries: options.maxRetries };
  const startedAtMs = ctx.clock.now();
  const totalMs = options.totalTimeoutMs ?? ctx.totalTimeoutMs;
  const attemptMs = options.timeoutMs ?? ctx.timeoutMs;
  const deadlineMs = totalMs === undefined ? undefined : startedAtMs + totalMs;
  // The call's own signal: the caller's, and the total deadline when there is one.
  const total = totalMs === undefined ? undefined : linkedAbort([options.signal]);
  const totalTimer =
    total && totalMs !== undefined
      ? startTimer(ctx.clock, totalMs, () => total.controller.abort(new TimeoutError('total', totalMs)))
      : undefined;
  const callSignal = total?.signal ?? options.signal;
  const classify = (error: unknown, attempt: AbortSignal | undefined): OpenRouterError => {
    if (options.signal?.aborted) return new AbortError();
    if (total?.signal.aborted) return total.signal.reason as TimeoutError;
    if (attempt?.aborted && isOpenRouterError(attempt.reason)) return attempt.reason;
    return transportError(error, undefined, ctx.secrets) as OpenRouterError;
  };
  let previousDelayMs: number | undefined;
  let handedOver = false;
  // Whether an earlier, failed attempt may have been billed: the final error carries it too.
  let earlierMayHaveBilled = false;
  const final = (failure: OpenRouterError, attempts: number): OpenRouterError => {
    failure.mayHaveBilled ||= earlierMayHaveBilled;
    return withAttempts(failure, attempts);
  };
  try {
    // A call whose signal is already aborted is never sent: nothing left, nothing billed.
    if (options.signal?.aborted) {
      const failure = classify(options.signal.reason, undefined);
      failure.mayHaveBilled = false;
      throw withAttempts(failure, 0);
    }
    for (let attempt = 1; ; attempt++) {
      let release: Release = () => {};
      if (ctx.limiter) {
        try {
          release = await ctx.limiter.acquire(callSignal);
        } catch (error) {
          // Aborted while waiting for a slot: this attempt never left.
          const failure = classify(error, undefined);
          failure.mayHaveBilled = false;
          throw final(failure, attempt - 1);
        }
      }
      const attemptStart = ctx.clock.now();
      // Follows the call's signal for as long as the attempt's response is in use: for a stream,
      // until its slot is released, so a caller going away still aborts the upstream body.
      const attemptAbort = linkedAbort([callSignal]);
      const controller = attemptAbort.controller;
      const timer = startTimer(ctx.clock, attemptMs, () =>
        controller.abort(new TimeoutError('attempt', attemptMs)),
      );
      let failure: OpenRouterError;
      try {
        const outcome = await attemptFn(attemptAbort.signal, attempt);
        timer.cancel();
        if (!keepSlot) {
          release();
          attemptAbort.unlink();
        }
        report(ctx, spec, attempt, attemptStart, outcome.status, undefined, undefined);
        const slot = release;
        handedOver = keepSlot;
        return {
          ...outcome,
          attempts: attempt,
          earlierAttemptsMayHaveBilled: earlierMayHaveBilled,
          startedAtMs,
          release: keepSlot
            ? () => {
                attemptAbort.unlink();
                total?.unlink();
                slot();
              }
            : slot,
          abortAttempt: (reason) => controller.abort(reason),
        };
      } catch (error) {
        timer.cancel();
        attemptAbort.unlink();
        release();
        failure = withAttempts(classify(error, controller.signal), attempt);
      }
      const decision = decideRetry({
        policy,
        attempt,
        failure: retryFailure(failure),
        nowMs: ctx.clock.now(),
        deadlineMs,
        previousDelayMs,
        random: ctx.random,
        responseStarted: failure instanceof ConnectionError && failure.responseStatus !== undefined,
      });
      const status = failure instanceof APIError ? failure.status : undefined;
      report(
        ctx,
        spec,
        attempt,
        attemptStart,
        status,
        failure,
        decision.retry ? decision.delayMs : undefined,
      );
      if (!decision.retry) throw final(failure, attempt);
      earlierMayHaveBilled ||= failure.mayHaveBilled;
      previousDelayMs = decision.delayMs;
      try {
        await ctx.clock.sleep(decision.delayMs, callSignal);
      } catch (error) {
        // Aborted between attempts: only the earlier ones may have been billed.
        const failure = classify(error, undefined);
        failure.mayHaveBilled = false;
        throw final(failure, attempt);
      }
    }
  } finally {
    totalTimer?.cancel();
    // A kept stream still follows the caller's signal through `total` until it is released.
    if (!handedOver) total?.unlink();
  }
}

function report(
  ctx: CallContext,
  spec: CallSpec,
  attempt: number,
  attemptStart: number,
  status: number | undefined,
  error: OpenRouterError | undefined,
  delayMs: number | undefined,
): void {
  if (!ctx.onAttempt) return;
  const info: AttemptInfo = {
    attempt,
    method: spec.method,
    path: spec.path,
    status,
    error,
    durationMs: ctx.clock.now() - attemptStart,
    willRetry: delayMs !== undefined,
    delayMs,
  };
  try {
    ctx.onAttempt(info);
  } catch {
    // An observer must not change the outcome of the call it observes.
  }
}

function withAttempts(error: OpenRouterError, attempts: number): OpenRouterError {
  error.attempts = attempts;
  return error;
}

function retryFailure(error: OpenRouterError): RetryFailure {
  if (error instanceof APIError) {
    return {
      kind: 'status',
      status: error.status,
      headers: error.headers,
      limitSource: error instanceof PaymentRequiredError ? error.limitSource : undefined,
    };
  }
  switch (error.category) {
    case 'connection':
      return { kind: 'connection', code: (error as { causeCode?: string }).causeCode };
    case 'timeout':
      return { kind: 'timeout', scope: (error as TimeoutError).scope };
    case 'abort':
      return { kind: 'abort' };
    default:
      return { kind: 'invalid-response' };
  }
}

function generationIdOf(headers: ResponseHeaders, body: unknown): string | undefined {
  const header = headers['x-generation-id'];
  if (header) return header;
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.startsWith('gen-') ? id : undefined;
}
