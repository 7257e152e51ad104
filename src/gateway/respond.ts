import type { ServerResponse } from 'node:http';
import { errorBody, errorDialectOf, type GatewayError } from './gateway-error.ts';

/**
 * Writes an error with its status and headers (the response must be fresh), in the shape of the
 * SDK its route speaks to (errorDialectOf).
 */
export function sendGatewayError(res: ServerResponse, error: GatewayError, requestId: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(errorBody(error, requestId, errorDialectOf(res.req?.url)));
  res.writeHead(error.status, {
    ...error.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-tollgate-request-id': requestId,
  });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
