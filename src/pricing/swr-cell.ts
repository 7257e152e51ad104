/**
 * One cached value loaded by an async function: stale-while-revalidate with a TTL, one load in
 * flight at a time, and the last good value kept when a load fails (retried after `retryMs`).
 */
import type { Clock } from '../shared/clock.ts';

export interface SwrCellOptions<T> {
  readonly load: (signal: AbortSignal) => Promise<T>;
  readonly clock: Pick<Clock, 'now'>;
  readonly ttlMs: number;
  /** Wait after a failed load before another is started by a read; default min(ttlMs, 30 s). */
  readonly retryMs?: number;
}

export interface SwrCellStatus {
  /** When the current value was loaded (ms since epoch), if there is one. */
  readonly loadedAt: number | undefined;
  readonly loading: boolean;
  /** The last load failure since the last success. */
  readonly lastError: unknown;
  readonly lastFailureAt: number | undefined;
}

export interface SwrCell<T> {
  /** The value, loading it first when there is none; `undefined` when that load fails. */
  get(): Promise<T | undefined>;
  /** The value now, without waiting; starts a background refresh when it is stale. */
  peek(): T | undefined;
  /** Loads now (or joins the load in flight); rejects when it fails. */
  refresh(): Promise<T>;
  /** The value now, with no side effect (no refresh). */
  current(): T | undefined;
  /** Replaces the value, as if just loaded. */
  set(value: T): void;
  status(): SwrCellStatus;
  /** Aborts a load in flight; no load starts afterwards. */
  close(): void;
}

export function createSwrCell<T>(options: SwrCellOptions<T>): SwrCell<T> {
  const { clock, ttlMs } = options;
  const retryMs = options.retryMs ?? Math.min(ttlMs, 30_000);
  const controller = new AbortController();
  let current: { value: T; loadedAt: number } | undefined;
  let inFlight: Promise<T> | undefined;
  let lastError: unknown;
  let lastFailureAt: number | undefined;

  const start = (): Promise<T> => {
    if (inFlight) return inFlight;
    if (controller.signal.aborted) return Promise.reject(new Error('the cache is closed'));
    const load = (async () => {
      try {
        const value = await options.load(controller.signal);
        current = { value, loadedAt: clock.now() };
        lastError = undefined;
        lastFailureAt = undefined;
        return value;
      } catch (error) {
        lastError = error;
        lastFailureAt = clock.now();
        throw error;
      } finally {
        inFlight = undefined;
      }
    })();
    inFlight = load;
    return load;
  };

  const mayStart = (): boolean => {
    if (inFlight || controller.signal.aborted) return false;
    return lastFailureAt === undefined || clock.now() - lastFailureAt >= retryMs;
  };

  const refreshIfStale = (): void => {
    if (current && clock.now() - current.loadedAt < ttlMs) return;
    if (!mayStart()) return;
    start().catch(() => {
      // Kept in lastError; the last good value stays in use.
    });
  };

  return {
    async get() {
      if (current) {
        refreshIfStale();
        return current.value;
      }
      if (!inFlight && !mayStart()) return undefined;
      try {
        return await start();
      } catch {
        return undefined;
      }
    },
    peek() {
      refreshIfStale();
      return current?.value;
    },
    refresh: start,
    current: () => current?.value,
    set(value) {
      current = { value, loadedAt: clock.now() };
    },
    status: () => ({
      loadedAt: current?.loadedAt,
      loading: inFlight !== undefined,
      lastError,
      lastFailureAt,
    }),
    close() {
      controller.abort(new Error('the cache is closed'));
    },
  };
}
