import type { Clock } from '../shared/clock.ts';

export interface Timer {
  cancel(): void;
}

/** Calls `onFire` after `ms` of the injected clock unless cancelled first. */
export function startTimer(clock: Clock, ms: number, onFire: () => void): Timer {
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(
    () => {
      if (!controller.signal.aborted) onFire();
    },
    // Rejection means cancelled: nothing to do.
    () => {},
  );
  return { cancel: () => controller.abort() };
}
