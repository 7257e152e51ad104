import type { Clock } from '../shared/clock.ts';
import { AbortError } from './client-errors.ts';

export interface LimiterOptions {
  /** Token bucket refill rate. Unset: no rate limit. */
  requestsPerMinute?: number;
  /**
   * Bucket size: how many requests may start back to back. Any 60 s window then holds at most
   * `burst + requestsPerMinute` starts. @default 1
   */
  burst?: number;
  /**
   * Requests in flight at once. A stream holds its slot until it ends, read or not: an unread
   * one ends at the latest after the client's `streamIdleTimeoutMs`. Unset: unlimited.
   */
  maxConcurrent?: number;
}

/** Frees the slot taken by `acquire`; calling it twice is harmless. */
export type Release = () => void;

export interface Limiter {
  /** Waits for a token and a concurrency slot, in FIFO order; rejects with AbortError on abort. */
  acquire(signal?: AbortSignal): Promise<Release>;
  readonly active: number;
  readonly queued: number;
}

interface Waiter {
  resolve: (release: Release) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** A client-side limiter so a pipeline stays under its account limits. All timing via `clock`. */
export function createLimiter(options: LimiterOptions, clock: Clock): Limiter {
  const rate = options.requestsPerMinute;
  if (rate !== undefined && !(rate > 0)) throw new RangeError('requestsPerMinute must be positive');
  const perMs = rate === undefined ? Number.POSITIVE_INFINITY : rate / 60_000;
  const capacity = Math.max(1, options.burst ?? 1);
  const maxConcurrent = options.maxConcurrent ?? Number.POSITIVE_INFINITY;
  let tokens = capacity;
  let refilledAt = clock.now();
  let active = 0;
  const queue: Waiter[] = [];
  let timer: AbortController | undefined;

  function refill(): void {
    if (rate === undefined) return;
    const now = clock.now();
    tokens = Math.min(capacity, tokens + (now - refilledAt) * perMs);
    refilledAt = now;
  }

  function pump(): void {
    while (queue.length > 0) {
      if (active >= maxConcurrent) return; // a release pumps again
      refill();
      if (rate !== undefined && tokens < 1) {
        scheduleRefill(Math.ceil((1 - tokens) / perMs));
        return;
      }
      const waiter = queue.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      if (rate !== undefined) tokens -= 1;
      active += 1;
      let released = false;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        active -= 1;
        pump();
      });
    }
    cancelTimer();
  }

  function scheduleRefill(ms: number): void {
    if (timer) return;
    const controller = new AbortController();
    timer = controller;
    clock.sleep(ms, controller.signal).then(
      () => {
        if (timer === controller) timer = undefined;
        pump();
      },
      () => {},
    );
  }

  function cancelTimer(): void {
    timer?.abort();
    timer = undefined;
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(new AbortError());
      return new Promise<Release>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          signal,
          onAbort: () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            if (queue.length === 0) cancelTimer();
            reject(new AbortError('Request aborted while waiting for the client-side rate limiter'));
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
  };
}
