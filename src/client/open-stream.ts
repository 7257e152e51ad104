import { buildRequest, type CallContext, type CallSpec, runWithRetries } from './call.ts';
import { InvalidResponseError } from './client-errors.ts';
import { errorFromResponse } from './errors.ts';
import { normalizeHeaders, type ResponseHeaders } from './headers.ts';
import type { Release } from './limiter.ts';
import { bodyExcerpt } from './redact.ts';
import { isErrorOnlyBody, parseJson, parseOrText } from './response-body.ts';
import type { RequestOptions } from './types.ts';

/** A started SSE response: status checked, retries done. The caller owns `body` from here on. */
export interface OpenedStream {
  body: AsyncIterable<Uint8Array>;
  status: number;
  headers: ResponseHeaders;
  attempts: number;
  /** See ResponseMeta.earlierAttemptsMayHaveBilled. */
  earlierAttemptsMayHaveBilled: boolean;
  startedAtMs: number;
  abort(reason: unknown): void;
  release: Release;
}

/** Opens a streaming request. Failures before a 2xx response are retried; nothing after. */
export async function openStream(
  ctx: CallContext,
  spec: CallSpec,
  options: RequestOptions = {},
): Promise<OpenedStream> {
  const base = buildRequest(spec, options);
  const result = await runWithRetries(ctx, spec, options, true, async (signal, attemptNo) => {
    const response = await ctx.transport.send({
      ...base,
      headers: { accept: 'text/event-stream', ...base.headers },
      signal,
    });
    const headers = normalizeHeaders(response.headers);
    const context = {
      method: spec.method,
      path: spec.path,
      attempts: attemptNo,
      secrets: ctx.secrets,
      nowMs: ctx.clock.now(),
    };
    // Pre-stream errors are plain JSON with a 4xx/5xx status (§5.1): check before reading SSE.
    if (response.statusCode >= 400) {
      throw errorFromResponse(response.statusCode, parseOrText(await response.body.text()), headers, context);
    }
    if ((headers['content-type'] ?? '').includes('application/json')) {
      const text = await response.body.text();
      const json = parseJson(text, response.statusCode, ctx.secrets);
      if (isErrorOnlyBody(json)) throw errorFromResponse(response.statusCode, json, headers, context);
      throw new InvalidResponseError('Expected an event stream, got a JSON body', {
        status: response.statusCode,
        reason: 'sse',
        excerpt: bodyExcerpt(text, ctx.secrets),
      });
    }
    return { value: response.body, status: response.statusCode, headers };
  });
  return {
    body: result.value,
    status: result.status,
    headers: result.headers,
    attempts: result.attempts,
    earlierAttemptsMayHaveBilled: result.earlierAttemptsMayHaveBilled,
    startedAtMs: result.startedAtMs,
    abort: result.abortAttempt,
    release: result.release,
  };
}
