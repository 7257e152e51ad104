import { pause, type RequestContext, requestSignal } from './http.ts';

/** Faults that break the transport rather than the payload. */

/** Sends nothing for `ms` (or until the client or simulator gives up), then drops the connection. */
export async function stallConnection(ctx: RequestContext, ms: number): Promise<void> {
  ctx.log.status = 0;
  await pause(ctx, ms, requestSignal(ctx));
  ctx.req.socket.destroy();
}

/** HTTP 200 labelled JSON whose body is an HTML error page, as a misbehaving proxy returns. */
export function sendInvalidJson(ctx: RequestContext): void {
  const body = '<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>\n';
  ctx.log.status = 200;
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  ctx.res.end(body);
}

/** Announces the full length, sends half of the body, then drops the connection. */
export function sendTruncatedJson(ctx: RequestContext, body: string): void {
  const bytes = Buffer.from(body);
  ctx.log.status = 200;
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
  ctx.res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => ctx.req.socket.destroy());
}
