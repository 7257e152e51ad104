import { describe, expect, it } from 'vitest';
import {
  createFaultPlanner,
  DEFAULT_RANDOM_FAULTS,
  FAULT_INFO,
  parseFaultHeader,
  SIMULATOR_FAULTS,
} from './faults.ts';

const planner = (faultRate = 0, seed = 1) =>
  createFaultPlanner({ faultRate, seed, randomFaults: DEFAULT_RANDOM_FAULTS });

describe('fault selection', () => {
  it('lists every required fault with a description', () => {
    for (const name of [
      '400',
      '401',
      '402',
      '403',
      '404',
      '408',
      '413',
      '429',
      '500',
      '502',
      '503',
      'reset',
      'stall',
    ]) {
      expect(SIMULATOR_FAULTS).toContain(name);
    }
    for (const name of [
      'mid-stream-error',
      'truncated-stream',
      'invalid-json',
      'content-filter',
      'length',
      'finish-error',
    ]) {
      expect(SIMULATOR_FAULTS).toContain(name);
    }
    for (const name of ['provider-fallback', 'slow-first-token', 'slow-stream'])
      expect(SIMULATOR_FAULTS).toContain(name);
    for (const name of SIMULATOR_FAULTS) expect(FAULT_INFO[name].description.length).toBeGreaterThan(10);
  });

  it('parses steps, parameters and reports bad headers', () => {
    expect(parseFaultHeader('429;times=2, 500;times=1;ms=40')).toEqual([
      { fault: { name: '429' }, times: 2 },
      { fault: { name: '500', ms: 40 }, times: 1 },
    ]);
    expect(parseFaultHeader('none;times=1,503;id=abc')).toEqual([
      { fault: null, times: 1 },
      { fault: { name: '503' }, times: Infinity },
    ]);
    expect(parseFaultHeader('teapot')).toMatch(/Unknown X-Simulator-Fault "teapot"/);
    expect(parseFaultHeader('429;times=0')).toMatch(/times=/);
    expect(parseFaultHeader('429;color=red')).toMatch(/unknown parameter/);
  });

  it('applies a header fault to every request that carries it', () => {
    const p = planner();
    expect(p.choose('acct', '502').fault?.name).toBe('502');
    expect(p.choose('acct', '502').fault?.name).toBe('502');
    expect(p.choose('acct', undefined).fault).toBeNull();
  });

  it('walks a times= sequence per account and header, so a retry can succeed', () => {
    const p = planner();
    const seq = '429;times=2,500;times=1';
    expect([1, 2, 3, 4].map(() => p.choose('a', seq).fault?.name ?? 'ok')).toEqual([
      '429',
      '429',
      '500',
      'ok',
    ]);
    // Another account, or another id=, starts its own count.
    expect(p.choose('b', seq).fault?.name).toBe('429');
    expect(p.choose('a', `${seq};id=2`).fault?.name).toBe('429');
  });

  it('serves queued faults first, in order, then falls back to header and random faults', () => {
    const p = planner();
    p.enqueue('a', [{ name: 'reset' }, { name: 'slow-stream', ms: 5 }]);
    expect(p.choose('a', '429').fault).toEqual({ name: 'reset' });
    expect(p.choose('a', '429').fault).toEqual({ name: 'slow-stream', ms: 5 });
    expect(p.choose('a', '429').fault?.name).toBe('429');
  });

  it('draws random faults at about faultRate, reproducibly for a seed', () => {
    const draw = (seed: number) => {
      const p = planner(0.2, seed);
      return Array.from({ length: 2000 }, () => p.choose('a', undefined).fault?.name ?? null);
    };
    const first = draw(7);
    expect(draw(7)).toEqual(first);
    expect(draw(8)).not.toEqual(first);
    const rate = first.filter((f) => f !== null).length / first.length;
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.25);
    for (const f of first) if (f !== null) expect(DEFAULT_RANDOM_FAULTS).toContain(f);
    expect(planner(0).choose('a', undefined).fault).toBeNull();
  });
});
