import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../shared/clock.ts';
import { startTimer } from './timers.ts';

/** A clock with only `sleep`, as test clocks have: startTimer must build its timer from it. */
const sleepOnlyClock: Clock = { now: () => Date.now(), sleep: systemClock.sleep };

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['the system clock (bare timers)', systemClock],
  ['a clock with only sleep', sleepOnlyClock],
])('startTimer on %s', (_name, clock) => {
  it('fires once after its delay', async () => {
    let fired = 0;
    startTimer(clock, 5, () => fired++);
    expect(fired).toBe(0);
    await settle(30);
    expect(fired).toBe(1);
  });

  it('never fires once cancelled, and cancelling twice is harmless', async () => {
    let fired = 0;
    const timer = startTimer(clock, 5, () => fired++);
    timer.cancel();
    timer.cancel();
    await settle(30);
    expect(fired).toBe(0);
  });
});
