import { type CallContext, runWithRetries } from '../call.ts';
import { errorFromResponse } from '../errors.ts';
import { normalizeHeaders } from '../headers.ts';
import type { OpenedStream } from '../open-stream.ts';
import { parseOrText } from '../response-body.ts';
import type { HttpMethod, QueryValue, TransportResponse } from '../transport.ts';
import type { RequestOptions } from '../types.ts';

/** A request forwarded as bytes: the body is sent exactly as given. */
export interface ForwardSpec {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** Headers to pass on (authorization and hop-by-hop headers are replaced/dropped by the transport). */
  headers?: Record<string, string> | undefined;
  body?: string | Uint8Array | undefined;
}

/** An opened forward: like a stream, but its body is undici's readable (bytes(), pause/resume). */
export interface ForwardedResponse extends Omit<OpenedStream, 'body'> {
  body: TransportResponse['body'];
}

export interface ForwardResource {
  /**
   * Sends the request with the client's retry policy (408/429/5xx and connection failures,
   * honouring Retry-After) and resolves with the first response below 400, its body unread,
   * for a proxy to pass on byte for byte. Error statuses throw the client's typed APIError
   * (after retries). Nothing is retried once this resolves.
   */
  open(spec: ForwardSpec, options?: RequestOptions): Promise<ForwardedResponse>;
}

export function createForwardResource(ctx: CallContext): ForwardResource {
  return {
    async open(spec, options = {}) {
      const result = await runWithRetries(
        ctx,
        { method: spec.method, path: spec.path, query: spec.query },
        options,
        true,
        async (signal, attempt) => {
          const response = await ctx.transport.send({
            method: spec.method,
            path: spec.path,
            query: spec.query,
            headers: options.headers ? { ...spec.headers, ...options.headers } : spec.headers,
            body: spec.body,
            signal,
          });
          const headers = normalizeHeaders(response.headers);
          if (response.statusCode >= 400) {
            const text = await response.body.text();
            throw errorFromResponse(response.statusCode, parseOrText(text), headers, {
              method: spec.method,
              path: spec.path,
              attempts: attempt,
              secrets: ctx.secrets,
              nowMs: ctx.clock.now(),
            });
          }
          return { value: response.body, status: response.statusCode, headers };
        },
      );
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
    },
  };
}
