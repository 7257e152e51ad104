import type { Clock } from '../shared/clock.ts';
import type { Principal } from './auth.ts';
import { GatewayError } from './gateway-error.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Per-gateway-key requests-per-minute limits (a token bucket holding up to one minute's worth)
 * and concurrent-stream limits, in this process's memory.
 */
export class KeyRateLimiter {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #streams = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Takes one request from the key's budget, or throws 429 with the seconds to wait. */
  take(principal: Principal): void {
    if (principal.kind !== 'key' || !principal.key.rpmLimit) return;
    const limit = principal.key.rpmLimit;
    const now = this.#clock.now();
    const bucket = this.#buckets.get(principal.key.id) ?? { tokens: limit, updatedAt: now };
    bucket.tokens = Math.min(limit, bucket.tokens + ((now - bucket.updatedAt) * limit) / 60_000);
    bucket.updatedAt = now;
    this.#buckets.set(principal.key.id, bucket);
    if (bucket.tokens < 1) {
      const waitSeconds = Math.ceil(((1 - bucket.tokens) * 60) / limit);
      throw new GatewayError(
        'rate_limited',
        `This key allows ${limit} requests per minute. Retry in ${waitSeconds} s.`,
        {
          headers: { 'retry-after': String(waitSeconds) },
        },
      );
    }
    bucket.tokens -= 1;
  }

  /** Opens a stream slot for the key, or throws 429; the returned function closes it. */
  openStream(principal: Principal, max: number): () => void {
    if (principal.kind !== 'key') return () => {};
    const id = principal.key.id;
    const open = this.#streams.get(id) ?? 0;
    if (open >= max) {
      throw new GatewayError(
        'too_many_streams',
        `This key already holds ${open} open streams (the most allowed). Close one first.`,
        {
          headers: { 'retry-after': '1' },
        },
      );
    }
    this.#streams.set(id, open + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const now = (this.#streams.get(id) ?? 1) - 1;
      if (now <= 0) this.#streams.delete(id);
      else this.#streams.set(id, now);
    };
  }
}
