import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { KeyRecord } from './accounts.ts';
import { parseFaultList } from './control-routes.ts';
import { createCore, type RequestLogEntry, type SimulatorCore } from './core.ts';
import { parseUsd } from './decimal.ts';
import { errorReply, invalidRequest, notFound } from './errors.ts';
import { BodyTooLargeError, type RequestContext, readBody, sendError } from './http.ts';
import { resolveOptions, type SimulatorOptions } from './options.ts';
import { route } from './router.ts';
import { createStateView, type SimulatorState } from './state.ts';

export interface IssueKeyOptions {
  name?: string;
  /** Calls with this key are BYOK: usage.cost is the 5% fee, upstream_inference_cost the list price. */
  byok?: boolean;
  /** USD limit of the key (POST /keys `limit`). */
  limit?: number;
  limitReset?: 'daily' | 'weekly' | 'monthly';
  /** Put the key on a fresh account (own credits) instead of the management key's account. */
  newAccount?: boolean;
}

export interface RunningSimulator {
  /** Base URL including the path, e.g. 'http://127.0.0.1:40123/api/v1'. */
  url: string;
  /** 'http://127.0.0.1:40123'. */
  origin: string;
  port: number;
  /** The management key: required for /keys, /credits, /activity in strict mode. */
  managementKey: string;
  /** Closes the server and every open socket (stalled and streaming ones too). */
  close(): Promise<void>;
  /** Read-only view for tests: billed totals per account, generation records, request log. */
  state: SimulatorState;
  /** Issues an inference key (works in strict mode too). */
  issueKey(options?: IssueKeyOptions): string;
  /** Queues faults (names, or {name, ms}) for the next inference requests of the key's account. */
  queueFaults(key: string, faults: readonly (string | { name: string; ms?: number })[]): void;
  /** Sets the account's total credits (USD) for the key. */
  setCredits(key: string, usd: number | string): void;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const resolved = resolveOptions(options);
  const core = createCore(resolved);
  const sockets = new Set<Socket>();
  const server = createServer({ keepAlive: true, requestTimeout: 0, noDelay: true }, (req, res) => {
    void handleRequest(core, req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('simulator: no TCP address');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;

  const knownKey = (key: string): KeyRecord => {
    const record = core.accounts.lookup(key, core.clock.now());
    if (record === undefined) throw new Error('simulator: unknown key (strict mode knows only issued keys)');
    return record;
  };
  let closing: Promise<void> | undefined;

  return {
    url: `${origin}/api/v1`,
    origin,
    port: address.port,
    managementKey: core.accounts.managementKey.key,
    state: createStateView(core),
    close() {
      closing ??= new Promise<void>((resolve) => {
        core.shutdown.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
    issueKey(issue = {}) {
      const now = core.clock.now();
      const account =
        issue.newAccount === true ? core.accounts.createAccount(now) : core.accounts.managementKey.account;
      const record = core.accounts.createKey(
        account,
        {
          name: issue.name ?? 'Simulator key',
          byok: issue.byok ?? false,
          ...(issue.limit === undefined ? {} : { limit: issue.limit }),
          ...(issue.limitReset === undefined ? {} : { limitReset: issue.limitReset }),
        },
        now,
      );
      return record.key;
    },
    queueFaults(key, faults) {
      const parsed = parseFaultList(faults);
      if (typeof parsed === 'string') throw new Error(`simulator: ${parsed}`);
      core.faults.enqueue(knownKey(key).account.userId, parsed);
    },
    setCredits(key, usd) {
      knownKey(key).account.totalCredits = parseUsd(usd);
    },
  };
}

async function handleRequest(core: SimulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';
  const startedAtMs = core.clock.now();
  const log: RequestLogEntry = { atMs: startedAtMs, method, path: rawPath, status: 0 };
  core.requestLog.push(log);
  const ctx: RequestContext = {
    core,
    req,
    res,
    method,
    path: '',
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    body: undefined,
    startedAtMs,
    log,
  };
  try {
    // Unread request bodies are discarded by node:http once the response ends.
    if (!rawPath.startsWith('/api/v1/')) {
      return sendError(ctx, notFound(`No route for ${method} ${rawPath}; the API lives under /api/v1`));
    }
    ctx.path = rawPath.length > 8 && rawPath.endsWith('/') ? rawPath.slice(7, -1) : rawPath.slice(7);
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      const text = await readBody(req);
      if (text.trim() !== '') {
        try {
          ctx.body = JSON.parse(text);
        } catch {
          return sendError(ctx, invalidRequest('Invalid JSON in request body'));
        }
      }
    }
    await route(ctx);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      return sendError(ctx, errorReply(413, 'Request payload too large', 'payload_too_large'));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(
      ctx,
      errorReply(500, `Simulator error: ${error instanceof Error ? error.message : String(error)}`, 'server'),
    );
  }
}
