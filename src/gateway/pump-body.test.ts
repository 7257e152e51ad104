import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collectBody, pumpBody } from './pump-body.ts';

/** A caller that reads slowly: a tiny buffer and a pause per write, so writes report backpressure. */
function slowCaller() {
  const received: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 8,
    write(chunk: Buffer, _encoding, callback) {
      setTimeout(() => {
        received.push(chunk);
        callback();
      }, 1);
    },
  });
  return { sink, received };
}

describe('pumpBody', () => {
  it('delivers every byte in order to a slow caller, pausing upstream instead of buffering', async () => {
    const upstream = new PassThrough();
    const caller = slowCaller();
    let pausedOnce = false;
    upstream.on('pause', () => {
      pausedOnce = true;
    });
    const pumped = pumpBody(upstream, caller.sink, (chunk) => chunk);
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const piece = `event ${i}\n\n`;
      sent.push(piece);
      upstream.write(piece);
    }
    upstream.end();
    expect(await pumped).toBeUndefined();
    await new Promise<void>((resolve) => caller.sink.end(resolve));
    expect(Buffer.concat(caller.received).toString()).toBe(sent.join(''));
    expect(pausedOnce).toBe(true);
  });

  it('writes only what the relay releases, and resolves with the error that broke the body off', async () => {
    const upstream = new PassThrough();
    const caller = slowCaller();
    const pumped = pumpBody(upstream, caller.sink, (chunk) =>
      chunk.toString().startsWith('keep') ? chunk : undefined,
    );
    upstream.write('keep 1\n');
    upstream.write('drop\n');
    upstream.write('keep 2\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const failure = new Error('upstream reset');
    upstream.destroy(failure);
    expect(await pumped).toBe(failure);
    await new Promise<void>((resolve) => caller.sink.end(resolve));
    expect(Buffer.concat(caller.received).toString()).toBe('keep 1\nkeep 2\n');
  });

  it('collects a whole body, and keeps what arrived before a break', async () => {
    const whole = new PassThrough();
    const collected = collectBody(whole);
    whole.write('{"id":');
    whole.end('"gen-1"}');
    expect(await collected).toEqual({ bytes: Buffer.from('{"id":"gen-1"}'), error: undefined });

    const broken = new PassThrough();
    const partial = collectBody(broken);
    broken.write('{"id":');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const failure = new Error('reset');
    broken.destroy(failure);
    expect(await partial).toEqual({ bytes: Buffer.from('{"id":'), error: failure });
  });
});
