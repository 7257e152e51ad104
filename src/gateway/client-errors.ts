import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { uuidv7 } from '../shared/ids.ts';
import { errorBody, GatewayError } from './gateway-error.ts';

/** What the HTTP parser refused, before any route saw the request (Node's `clientError`). */
export interface ClientErrorLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The gateway's answer to a request Node's HTTP parser refused: the same OpenAI-shaped body as
 * every other refusal (a stable code, a message that says what to fix, a request id), instead of
 * the framework's bare default. The path is not known yet, so the shape is OpenAI's.
 */
export function clientErrorAnswer(error: Error & { code?: string }, limits: ClientErrorLimits): GatewayError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError(
        'headers_too_large',
        `The request headers are larger than this gateway accepts (${limits.maxHeaderBytes} bytes in all). Send fewer or shorter headers.`,
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(
        'request_timeout',
        `The request did not arrive in time (headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms). Send it without pausing.`,
      );
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new GatewayError(
        'invalid_request',
        'The Content-Length header is not valid, or comes with Transfer-Encoding. Send one Content-Length that matches the body, or chunked encoding alone.',
      );
    case 'HPE_INVALID_CHUNK_SIZE':
      return new GatewayError('invalid_request', 'The chunked request body is malformed.');
    case 'HPE_INVALID_HEADER_TOKEN':
      return new GatewayError(
        'invalid_request',
        'A request header name or value holds a character HTTP does not allow (a control character, say).',
      );
    default:
      return new GatewayError(
        'invalid_request',
        `The request is not valid HTTP/1.1 (${error.code ?? 'unparseable'}). Check the client or proxy in front of tollgate.`,
      );
  }
}

/** Node's `clientError` handler: writes the answer on the raw socket and closes it. */
export function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
  limits: ClientErrorLimits,
): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = clientErrorAnswer(error, limits);
  const status = refusal.status;
  const requestId = uuidv7();
  const body = JSON.stringify(errorBody(refusal, requestId));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Tollgate-Request-Id: ${requestId}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
