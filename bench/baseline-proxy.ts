import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool, request } from 'undici';
import { announceReady, exitOnSignal } from './processes.ts';

/**
 * The near-limit baseline: the least a Node proxy can do. node:http in, one keep-alive undici Pool
 * and `undici.request` out, method/path/headers/body forwarded and the response streamed back
 * chunk by chunk. No body is parsed, nothing is metered or recorded; whatever the gateway spends
 * beyond this is the price of tollgate's own work.
 */

const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export interface BaselineProxy {
  url: string;
  close(): Promise<void>;
}

/** Starts the pass-through proxy in front of `upstream` (an origin such as http://127.0.0.1:4000). */
export async function startBaselineProxy(upstream: string, port = 0): Promise<BaselineProxy> {
  // No connection cap: every caller gets its own upstream socket, as a proxy at its limit would.
  const pool = new Pool(upstream, { keepAliveTimeout: 60_000 });
  const server: Server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    request(`${upstream}${req.url ?? '/'}`, {
      dispatcher: pool,
      method: (req.method ?? 'GET') as 'GET',
      headers: forwardable(req.headers),
      body: hasBody ? req : null,
      signal: aborted.signal,
    }).then(
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode, forwardable(upstreamRes.headers));
        // Streams go out as they arrive: flush the headers before the first chunk.
        res.flushHeaders();
        // Pumped by hand, as the gateway does: `stream.pipeline` aborts an AbortController of its
        // own each time it finishes, which builds a DOMException with a stack trace, about 19 µs
        // a call in this proxy's CPU profile: not the least a proxy can do.
        const body = upstreamRes.body;
        const resume = () => body.resume();
        body.on('data', (chunk: Buffer) => {
          if (!res.write(chunk)) {
            body.pause();
            res.once('drain', resume);
          }
        });
        body.once('end', () => res.end());
        body.once('error', () => res.destroy());
      },
      () => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"bad gateway"}');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string' } } });
  if (!values.upstream) throw new Error('baseline-proxy: --upstream <origin> is required');
  const proxy = await startBaselineProxy(values.upstream, Number(values.port ?? 0));
  exitOnSignal(() => proxy.close());
  announceReady(proxy.url);
  if (!process.send) process.stdout.write(`baseline proxy on ${proxy.url} → ${values.upstream}\n`);
}
