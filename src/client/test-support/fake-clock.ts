import type { Clock } from '../../shared/clock.ts';

/**
 * A manual clock for tests: time moves only when the test says so. Sleeps up to
 * `autoAdvanceUpToMs` complete on their own (on the next event-loop turn, advancing `now`), which
 * lets retry back-offs run through while long deadlines (attempt/total timeouts) stay pending.
 */
export interface FakeClock extends Clock {
  /** Moves time forward, firing due sleeps in order. */
  advance(ms: number): void;
  /** Every sleep duration ever requested, in order. */
  readonly sleeps: readonly number[];
  /** Durations of the sleeps still pending. */
  pending(): number[];
  /** Resolves once a pending sleep matches (immediately if one already does). */
  waitForSleep(match?: (ms: number) => boolean): Promise<number>;
}

interface Timer {
  due: number;
  ms: number;
  resolve: () => void;
}

export function createFakeClock(options: { startMs?: number; autoAdvanceUpToMs?: number } = {}): FakeClock {
  let now = options.startMs ?? 1_700_000_000_000;
  const auto = options.autoAdvanceUpToMs ?? 0;
  const timers: Timer[] = [];
  const sleeps: number[] = [];
  let watchers: { match: (ms: number) => boolean; resolve: (ms: number) => void }[] = [];

  function advanceTo(target: number): void {
    for (;;) {
      timers.sort((a, b) => a.due - b.due);
      const next = timers[0];
      if (!next || next.due > target) break;
      timers.shift();
      now = Math.max(now, next.due);
      next.resolve();
    }
    now = Math.max(now, target);
  }

  return {
    now: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer: Timer = {
          due: now + ms,
          ms,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const index = timers.indexOf(timer);
          if (index >= 0) timers.splice(index, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        watchers = watchers.filter((watcher) => {
          if (!watcher.match(ms)) return true;
          watcher.resolve(ms);
          return false;
        });
        if (ms <= auto) {
          setImmediate(() => {
            if (timers.includes(timer)) advanceTo(timer.due);
          });
        }
      });
    },
    advance(ms) {
      advanceTo(now + ms);
    },
    get sleeps() {
      return sleeps;
    },
    pending: () => timers.map((timer) => timer.ms),
    waitForSleep(match = () => true) {
      const found = timers.find((timer) => match(timer.ms));
      if (found) return Promise.resolve(found.ms);
      return new Promise((resolve) => watchers.push({ match, resolve }));
    },
  };
}
