import type { Readable } from 'node:stream';

/** Where the pumped bytes go: the caller's response (a ServerResponse), or any writable. */
export interface ByteSink {
  write(chunk: Buffer): boolean;
  readonly destroyed: boolean;
  once(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/**
 * Passes an upstream body to the caller as it arrives: each chunk through `relay` (which may hold
 * bytes back, or return nothing yet), written at once, with upstream paused while the caller's
 * socket is full. Event driven rather than an async iterator: no promise per chunk on the hot
 * path. Resolves when the body ends, with the error that broke it off, if any (a caller gone away
 * aborts the upstream call, which ends the body with an error). Never rejects.
 */
export function pumpBody(
  body: Readable,
  sink: ByteSink,
  relay: (chunk: Buffer) => Buffer | undefined,
): Promise<unknown> {
  return new Promise((resolve) => {
    const resume = () => body.resume();
    const done = (error?: unknown) => {
      body.off('data', onData);
      body.off('end', done);
      body.off('error', done);
      sink.off('drain', resume);
      resolve(error);
    };
    const onData = (chunk: Buffer) => {
      const out = relay(chunk);
      if (!out || sink.destroyed) return;
      if (!sink.write(out)) {
        body.pause();
        sink.once('drain', resume);
      }
    };
    body.on('data', onData);
    body.once('end', done);
    body.once('error', done);
  });
}

/**
 * Reads a whole upstream body (a non-streamed answer), event driven like `pumpBody`. Resolves,
 * never rejects, with what arrived and the error that broke it off, if any: a partial body is
 * still worth keeping (opt-in stored bodies) when the upstream fails half way.
 */
export function collectBody(body: Readable): Promise<{ bytes: Buffer; error: unknown }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (error?: unknown) => {
      body.off('data', onData);
      body.off('end', done);
      body.off('error', done);
      resolve({ bytes: Buffer.concat(chunks), error });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
    };
    body.on('data', onData);
    body.once('end', done);
    body.once('error', done);
  });
}
