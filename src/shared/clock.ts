/** Time as a parameter: production passes `systemClock`, tests pass a fake. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: calls `onFire` after `ms` unless the returned cancel runs first. A clock without it
   * gets the same behaviour from `sleep` (see client/timers.ts); the system clock has it because
   * a bare timer costs a fraction of an abortable sleep, and the gateway starts one per call.
   */
  timer?(ms: number, onFire: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  timer: (ms, onFire) => {
    const handle = setTimeout(onFire, ms);
    return () => clearTimeout(handle);
  },
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
