import { describe, expect, it } from 'vitest';
import { isAbortError } from './error-guards.ts';
import { createLimiter } from './limiter.ts';
import { createFakeClock } from './test-support/fake-clock.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('limiter', () => {
  it('spaces requests by the token bucket rate', async () => {
    const clock = createFakeClock();
    const limiter = createLimiter({ requestsPerMinute: 60 }, clock);
    const started: number[] = [];
    const t0 = clock.now();
    const all = [0, 1, 2].map(async () => {
      const release = await limiter.acquire();
      started.push(clock.now() - t0);
      release();
    });
    await tick();
    expect(started).toEqual([0]);
    clock.advance(999);
    await tick();
    expect(started).toEqual([0]);
    clock.advance(1);
    await tick();
    expect(started).toEqual([0, 1000]);
    clock.advance(1000);
    await Promise.all(all);
    expect(started).toEqual([0, 1000, 2000]);
  });

  it('allows a burst, then the steady rate', async () => {
    const clock = createFakeClock();
    const limiter = createLimiter({ requestsPerMinute: 120, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    let fourth = false;
    void limiter.acquire().then(() => {
      fourth = true;
    });
    await tick();
    expect(fourth).toBe(false);
    expect(clock.pending()).toEqual([500]);
    clock.advance(500);
    await tick();
    expect(fourth).toBe(true);
  });

  it('caps concurrency and hands slots over in FIFO order', async () => {
    const clock = createFakeClock();
    const limiter = createLimiter({ maxConcurrent: 2 }, clock);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const order: string[] = [];
    const c = limiter.acquire().then((release) => {
      order.push('c');
      return release;
    });
    const d = limiter.acquire().then((release) => {
      order.push('d');
      return release;
    });
    await tick();
    expect(limiter.active).toBe(2);
    expect(limiter.queued).toBe(2);
    a();
    a(); // a second release is harmless
    await tick();
    expect(order).toEqual(['c']);
    b();
    (await c)();
    (await d)();
    expect(order).toEqual(['c', 'd']);
    expect(limiter.active).toBe(0);
  });

  it('queued callers honour abort signals', async () => {
    const clock = createFakeClock();
    const limiter = createLimiter({ maxConcurrent: 1 }, clock);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort();
    await expect(waiting).rejects.toSatisfy(isAbortError);
    expect(limiter.queued).toBe(1);
    held();
    (await next)();
    await expect(limiter.acquire(controller.signal)).rejects.toSatisfy(isAbortError);
  });

  it('an aborted waiter cancels the refill timer when the queue empties', async () => {
    const clock = createFakeClock();
    const limiter = createLimiter({ requestsPerMinute: 1 }, clock);
    (await limiter.acquire())();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    await tick();
    expect(clock.pending()).toEqual([60_000]);
    controller.abort();
    await expect(waiting).rejects.toSatisfy(isAbortError);
    expect(clock.pending()).toEqual([]);
  });
});
