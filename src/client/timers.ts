import type { Clock } from '../shared/clock.ts';

export interface Timer {
  cancel(): void;
}

/**
 * The reason a cancelled timer's sleep is aborted with. Prepared once: `abort()` without a
 * reason builds a DOMException with a stack trace, twice per request on the gateway's hot path.
 */
const CANCELLED = Symbol('timer cancelled');

/** Calls `onFire` after `ms` of the injected clock unless cancelled first. */
export function startTimer(clock: Clock, ms: number, onFire: () => void): Timer {
  if (clock.timer) return { cancel: clock.timer(ms, onFire) };
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(
    () => {
      if (!controller.signal.aborted) onFire();
    },
    // Rejection means cancelled: nothing to do.
    () => {},
  );
  return { cancel: () => controller.abort(CANCELLED) };
}
