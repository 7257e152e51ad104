import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query below the origin, e.g. `/api/v1/models?limit=1`. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse, raw: IncomingMessage) => void;

export interface TestServer {
  /** Base URL including `/api/v1`. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Queues one-shot handlers, used in order; when none is queued the fallback answers. */
  respond(...handlers: Handler[]): void;
  fallback: Handler;
  /** Resolves when the server has seen a connection close (to check upstream aborts). */
  closedConnections(): number;
  reset(): void;
  close(): Promise<void>;
}

/** A real HTTP server on a random loopback port, for tests that need sockets. */
export async function startTestServer(): Promise<TestServer> {
  const queue: Handler[] = [];
  let closed = 0;
  const state: TestServer = {
    baseUrl: '',
    requests: [],
    respond: (...handlers) => queue.push(...handlers),
    fallback: json(404, { error: { code: 404, message: 'no handler' } }),
    closedConnections: () => closed,
    reset() {
      queue.length = 0;
      state.requests.length = 0;
      closed = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const request: RecordedRequest = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      state.requests.push(request);
      (queue.shift() ?? state.fallback)(request, response, raw);
    });
  });
  server.on('connection', (socket) => socket.on('close', () => closed++));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}/api/v1`;
  return state;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

export function raw(status: number, text: string, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, headers);
    response.end(text);
  };
}

/** Writes an SSE body in the given pieces; `end: false` leaves the stream open (stall). */
export function sse(pieces: string[], options: { end?: boolean; destroy?: boolean } = {}): Handler {
  return (_request, response, raw) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'x-generation-id': 'gen-stream-1' });
    for (const piece of pieces) response.write(piece);
    // Drop the socket only once the pieces are on the wire, so the failure is mid-stream.
    if (options.destroy) setTimeout(() => raw.socket.destroy(), 20);
    else if (options.end !== false) response.end();
  };
}

/** Drops the connection without a response. */
export const reset: Handler = (_request, _response, raw) => {
  raw.socket.destroy();
};

/** Never answers. */
export const stall: Handler = () => {};
